use super::*;
use proptest::prelude::*;

const DOC: &str = include_str!("../../../../docs/FORMS.md");

/// The definition shown at the top of docs/FORMS.md.
fn doc_definition() -> FormDef {
    let start = DOC.find("```json\n").expect("a definition block") + 8;
    let end = start + DOC[start..].find("```").expect("its end");
    FormDef::parse(&DOC.as_bytes()[start..end]).expect("the documented definition parses")
}

#[test]
fn the_worked_examples_of_the_document_hold() {
    let mut n = 0;
    for block in DOC.split("```json example\n").skip(1) {
        let body = &block[..block.find("```").expect("block end")];
        let ex: Value = serde_json::from_str(body).expect("an example is JSON");
        let data = ex["data"].as_object().cloned().unwrap_or_default();
        let got = eval(&ex["rule"], &|k: &str| {
            data.get(k).cloned().unwrap_or(Value::Null)
        });
        assert!(
            same(&got, &ex["result"]) && got.is_string() == ex["result"].is_string(),
            "{body}: got {got}"
        );
        n += 1;
    }
    assert!(n >= 10, "only {n} examples");
}

#[test]
fn the_documented_definition_parses_and_its_fee_counts_dogs() {
    let def = doc_definition();
    let mut a: Answers = serde_json::from_value(json!({
        "dog": [{"dog_name": "Burek"}, {"dog_name": "Azor", "chip": "616093900012345"}],
        "guide_dog": "no"
    }))
    .expect("test data");
    let errs = def.check_step(1, &mut a);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(a["guide_dog"], json!(false));
    assert_eq!(def.fee(&a), Some(10_000));
    // The certificate is asked only of an assistance dog, and then it is required.
    let mut b = a.clone();
    b.insert("guide_dog".into(), json!(true));
    let errs = def.check_step(1, &mut b);
    assert_eq!(errs.0[0].field, "certificate");
    assert_eq!(errs.0[0].code, "err-form-required");
    assert_eq!(def.fee(&b), None);
}

#[test]
fn a_group_checks_its_items_and_its_bounds() {
    let def = doc_definition();
    let mut a: Answers =
        serde_json::from_value(json!({"dog": [{"chip": "1"}], "guide_dog": false}))
            .expect("test data");
    let errs = def.check_step(1, &mut a);
    assert_eq!(errs.0[0].field, "dog[0].dog_name");
    let mut none: Answers = serde_json::from_value(json!({"guide_dog": false})).expect("test data");
    let errs = def.check_step(1, &mut none);
    assert_eq!(errs.0[0].field, "dog");
    assert_eq!(errs.0[0].code, "err-form-group-min");
    let six: Vec<Value> = (0..6)
        .map(|i| json!({"dog_name": format!("P{i}")}))
        .collect();
    let mut many: Answers =
        serde_json::from_value(json!({"dog": six, "guide_dog": false})).expect("test data");
    assert_eq!(def.check_step(1, &mut many).0[0].code, "err-form-group-max");
}

#[test]
fn check_all_drops_hidden_and_unknown_answers_and_skipped_steps() {
    let mut def = doc_definition();
    def.steps[1].skip_if = Some(json!({"==": [{"var": "name"}, "Nobody"]}));
    let a: Answers = serde_json::from_value(json!({
        "name": "Nobody", "pesel": "44051401359",
        "address": {"street": "Polna", "building": "1", "postal_code": "00-001", "city": "Przykładowo"},
        "dog": [{"dog_name": "Burek"}], "guide_dog": false, "nonsense": 1
    }))
    .expect("test data");
    let (kept, errs) = def.check_all(&a);
    assert!(errs.is_empty(), "{errs:?}");
    assert!(!kept.contains_key("dog") && !kept.contains_key("nonsense"));
    assert_eq!(def.steps_for(&kept), vec![0]);
    // Stored answers check again as they are.
    let (again, errs) = def.check_all(&kept);
    assert!(errs.is_empty());
    assert_eq!(again, kept);
}

#[test]
fn every_type_checks_its_answer() {
    let f = |kind: Kind| FieldDef {
        id: "x".into(),
        kind,
        label: [("pl".to_string(), "X".to_string())].into(),
        hint: Texts::new(),
        required: json!(true),
        visible_if: None,
        options: vec![Choice {
            value: "a".into(),
            label: [("pl".to_string(), "A".to_string())].into(),
        }],
        min: None,
        max: None,
        prefill: None,
        fields: vec![],
    };
    let ok = |k: Kind, v: Value| normalise(&f(k), &v);
    assert_eq!(ok(Kind::Money, json!("12,50")), Ok(json!(1250)));
    assert_eq!(ok(Kind::Money, json!(1250)), Ok(json!(1250)));
    assert_eq!(ok(Kind::Number, json!("3,5")), Ok(json!(3.5)));
    assert_eq!(ok(Kind::Number, json!("x")), Err("err-form-number"));
    assert_eq!(ok(Kind::Date, json!("2026-02-30")), Err("err-form-date"));
    assert_eq!(ok(Kind::Date, json!("2026-02-28")), Ok(json!("2026-02-28")));
    assert_eq!(ok(Kind::Choice, json!("b")), Err("err-form-choice"));
    assert_eq!(ok(Kind::MultiChoice, json!(["a"])), Ok(json!(["a"])));
    assert_eq!(ok(Kind::YesNo, json!("yes")), Ok(json!(true)));
    assert_eq!(ok(Kind::Pesel, json!("44051401358")), Err("err-form-pesel"));
    assert_eq!(
        ok(Kind::Pesel, json!("44051401359")),
        Ok(json!("44051401359"))
    );
    assert!(ok(Kind::Nip, json!("6220001252")).is_ok());
    assert_eq!(
        ok(Kind::Iban, json!("PL61 1090 1014 0000 0712 1981 2874")),
        Ok(json!("PL61109010140000071219812874"))
    );
    assert_eq!(
        ok(Kind::Iban, json!("PL62 1090 1014 0000 0712 1981 2874")),
        Err("err-form-iban")
    );
    assert_eq!(
        ok(Kind::Phone, json!("+48 600 100 200")),
        Ok(json!("+48600100200"))
    );
    assert_eq!(ok(Kind::Phone, json!("600-1OO")), Err("err-form-phone"));
    assert_eq!(
        ok(Kind::Email, json!("Jan@Example.PL")),
        Ok(json!("jan@example.pl"))
    );
    assert_eq!(ok(Kind::Text, json!("a\u{7}b")), Err("err-form-text"));
    assert_eq!(
        ok(
            Kind::Address,
            json!({"street": "Polna", "building": "1", "postal_code": "11000", "city": "Beograd"})
        )
        .map(|v| v["postal_code"].clone()),
        Ok(json!("11000"))
    );
    assert_eq!(
        ok(
            Kind::Address,
            json!({"building": "1", "postal_code": "1-000", "city": "X"})
        ),
        Err("err-form-postal-code")
    );
}

#[test]
fn a_definition_that_refers_to_a_missing_field_is_refused_with_the_place() {
    let mut v: Value = serde_json::to_value(doc_definition()).expect("test data");
    v["steps"][1]["fields"][2]["visible_if"] = json!({"==": [{"var": "guide_cat"}, true]});
    let e = FormDef::parse(&serde_json::to_vec(&v).expect("test data")).expect_err("refused");
    assert_eq!(e.code, "err-form-def-unknown-field");
    assert_eq!(e.path, "steps[1].fields[2].visible_if.==[0].var");
    assert_eq!(e.detail, "guide_cat");
    // A group is counted, not read as a value.
    v["steps"][1]["fields"][2]["visible_if"] = json!({"var": "dog"});
    assert_eq!(
        FormDef::parse(&serde_json::to_vec(&v).expect("test data"))
            .expect_err("refused")
            .code,
        "err-form-def-group-var"
    );
    v["steps"][1]["fields"][2]["visible_if"] = json!({"concat": ["a"]});
    assert_eq!(
        FormDef::parse(&serde_json::to_vec(&v).expect("test data"))
            .expect_err("refused")
            .code,
        "err-form-def-operator"
    );
    let e = FormDef::parse(b"{\"steps\": [}").expect_err("refused");
    assert_eq!(e.code, "err-form-def-json");
    assert!(e.path.starts_with("line 1"));
    let e = FormDef::parse(br#"{"steps":[{"id":"a","title":{"pl":"A"},"fields":[{"id":"x","type":"colour","label":{"pl":"X"}}]}]}"#).expect_err("refused");
    assert_eq!(e.code, "err-form-def-json");
}

#[test]
fn the_version_is_the_hash_of_the_canonical_definition() {
    let a = doc_definition();
    let b = FormDef::parse(&a.canonical()).expect("test data");
    assert_eq!(a.version(), b.version());
    let mut c = a.clone();
    c.steps[0].title.insert("en".into(), "Who applies".into());
    assert_ne!(a.version(), c.version());
}

#[test]
fn answers_carry_to_a_new_version_where_they_fit() {
    let v1 = doc_definition();
    let mut v2 = v1.clone();
    // v2 asks the chip number as a number with at most 15 digits, and drops the PESEL.
    v2.steps[0].fields.remove(1);
    v2.steps[1].fields[0].fields[1].kind = Kind::Number;
    let a: Answers = serde_json::from_value(json!({
        "name": "Jan", "pesel": "44051401359",
        "dog": [{"dog_name": "Burek", "chip": "abc"}], "guide_dog": false
    }))
    .expect("test data");
    let (kept, recheck) = carry(&a, &v2);
    assert_eq!(kept["name"], json!("Jan"));
    assert!(!kept.contains_key("pesel"));
    assert_eq!(kept["dog"], json!([{"dog_name": "Burek"}]));
    assert_eq!(recheck, vec!["pesel".to_string(), "dog".to_string()]);
}

proptest! {
    /// Any JSON at all as a definition or as a rule: refused or accepted, never a panic, and
    /// a rule that passed the check evaluates.
    #[test]
    fn any_definition_is_refused_or_accepted(s in "\\PC{0,400}") {
        let _ = FormDef::parse(s.as_bytes());
    }

    #[test]
    fn deep_rules_are_refused(depth in 25usize..200) {
        let mut rule = json!({"var": "name"});
        for _ in 0..depth {
            rule = json!({"!": rule});
        }
        let mut v: Value = serde_json::to_value(doc_definition()).expect("test data");
        v["fee"] = rule;
        let e = FormDef::parse(&serde_json::to_vec(&v).expect("test data")).expect_err("refused");
        prop_assert!(e.code == "err-form-def-rule-too-deep" || e.code == "err-form-def-json");
    }

    #[test]
    fn any_answer_normalises_to_itself(s in "\\PC{0,40}", n in any::<i32>()) {
        let def = doc_definition();
        for (f, _) in def.all_fields() {
            for v in [json!(s), json!(n), json!(true), json!([s.clone()])] {
                if let Ok(once) = normalise(f, &v) {
                    prop_assert_eq!(normalise(f, &once), Ok(once.clone()));
                }
            }
        }
    }
}
