//! A department's library end to end, in the browser's forms: Anna (OR) makes a folder and
//! adds a document, checks it out and in with a new version; Piotr (GK) sees nothing until the
//! folder is shared with his department (to read: no check-out; to work in: he checks it out
//! and Anna cannot meanwhile); shared no more, he reads it again only through a case it is
//! linked into and he has an opinion to give on. Bad input changes nothing.

use crate::common::TestServer;
use serde_json::json;

/// The first hidden CSRF field of a page.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string()
}

/// Where a 303 sends one, without its query.
fn sent_to(r: &reqwest::Response) -> String {
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location");
    to.split('?').next().unwrap_or(to).to_string()
}

#[tokio::test]
async fn a_department_keeps_shares_and_links_its_documents() {
    let t = TestServer::seeded().await;
    let anna = t.demo_web("anna.nowak@okienko.test").await;
    let piotr = t.demo_web("piotr.zielinski@okienko.test").await;
    let anna_p = crate::common::principal(&t, "anna.nowak@okienko.test").await;
    let office_id = anna_p.grants[0].office_id.clone().expect("office");
    let office = office_id.as_str();
    let depts = t.services.store.departments(office).await.expect("depts");
    let id_of = |code: &str| {
        depts
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.id.clone())
            .expect("dept")
    };
    let (or, gk) = (id_of("OR"), id_of("GK"));
    let (st, html) = t.page(&anna, "/library").await;
    assert_eq!(st, 200);
    let top = format!("/offices/{office}/departments/{or}/library");
    assert!(html.contains(&top), "Anna's library is listed");
    let csrf = csrf_of(&html);
    let post = |c: &reqwest::Client, path: &str, form: Vec<(&str, String)>| {
        let req = c.post(t.url(path)).form(&form);
        async move { req.send().await.expect("post") }
    };

    // A folder at the top; a second of its name is refused and not made.
    let folder_form = |name: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("office", office.to_string()),
            ("department", or.clone()),
            ("folder", String::new()),
            ("name", name.to_string()),
        ]
    };
    let before = t
        .services
        .store
        .folders(&or, None)
        .await
        .expect("folders")
        .len();
    let r = post(&anna, "/library/folders", folder_form("Wzory decyzji")).await;
    assert_eq!(r.status(), 303);
    let folder_path = sent_to(&r);
    let folder = folder_path.rsplit('/').next().expect("id").to_string();
    let r = post(&anna, "/library/folders", folder_form("Wzory decyzji")).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("Folder o tej nazwie już tu jest"));
    let r = post(&anna, "/library/folders", folder_form("a/b")).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        t.services
            .store
            .folders(&or, None)
            .await
            .expect("folders")
            .len(),
        before + 1
    );

    // A document in the folder, from a file.
    let upload = |title: &str, name: &str, bytes: &[u8]| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("office", office.to_string())
            .text("department", or.clone())
            .text("folder", folder.clone())
            .text("title", title.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            )
    };
    let r = anna
        .post(t.url("/library/documents"))
        .multipart(upload("  ", "wzor.txt", b"x"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422, "a title is needed");
    let r = anna
        .post(t.url("/library/documents"))
        .multipart(upload(
            "Wzór zawiadomienia",
            "zawiadomienie.txt",
            b"Wersja pierwsza",
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let doc_path = sent_to(&r);
    let doc = doc_path.rsplit('/').next().expect("id").to_string();
    let (_, html) = t.page(&anna, &folder_path).await;
    assert!(html.contains("Wzór zawiadomienia"), "listed in its folder");

    // Checked out and in with a new version; both versions download as they were.
    let r = post(
        &anna,
        &format!("{doc_path}/checkout"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"Wersja druga".to_vec())
                .file_name("zawiadomienie.txt"),
        );
    let r = anna
        .post(t.url(&format!("{doc_path}/checkin")))
        .multipart(form)
        .send()
        .await
        .expect("checkin");
    assert_eq!(r.status(), 303);
    for (n, body) in [(1, "Wersja pierwsza"), (2, "Wersja druga")] {
        let r = anna
            .get(t.url(&format!("{doc_path}/versions/{n}")))
            .send()
            .await
            .expect("version");
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.expect("bytes").as_ref(), body.as_bytes());
    }

    // Found by the words of its title and of its latest version (not of an older one).
    let token = t.demo_token("anna.nowak@okienko.test").await;
    for (q, found) in [
        ("zawiadomienia", true),
        ("druga", true),
        ("pierwsza", false),
    ] {
        let (st, r) = t
            .api(
                &token,
                reqwest::Method::GET,
                &format!("/api/v1/search?q={q}&kind=library"),
                None,
            )
            .await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r.to_string().contains(&doc), found, "{q}: {r}");
    }

    // Piotr sees nothing of it until the folder is shared with GK.
    assert_eq!(t.page(&piotr, &doc_path).await.0, 404);
    assert_eq!(t.page(&piotr, &folder_path).await.0, 404);
    let share = |level: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("department", gk.clone()),
            ("level", level.to_string()),
        ]
    };
    let r = post(&anna, &format!("{folder_path}/shares"), share("all")).await;
    assert_eq!(r.status(), 422, "a level that does not exist");
    let r = post(&anna, &format!("{folder_path}/shares"), share("read")).await;
    assert_eq!(r.status(), 303);
    let (st, html) = t.page(&piotr, "/library").await;
    assert_eq!(st, 200);
    assert!(
        html.contains(&folder_path),
        "the shared folder is listed for Piotr"
    );
    assert!(html.contains("Referat Organizacyjny"), "with whose it is");
    let (st, html) = t.page(&piotr, &doc_path).await;
    assert_eq!(st, 200);
    assert!(!html.contains("/checkout"), "reading only");
    let pcsrf = csrf_of(&html);
    let r = post(
        &piotr,
        &format!("{doc_path}/checkout"),
        vec![("csrf", pcsrf.clone())],
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = post(
        &piotr,
        &format!("{folder_path}/unshare"),
        vec![("csrf", pcsrf.clone()), ("department", gk.clone())],
    )
    .await;
    assert_eq!(
        r.status(),
        404,
        "only the folder's own department stops sharing it"
    );

    // To work in: Piotr checks it out, Anna cannot meanwhile; he gives it back unchanged.
    let r = post(&anna, &format!("{folder_path}/shares"), share("edit")).await;
    assert_eq!(r.status(), 303);
    let r = post(
        &piotr,
        &format!("{doc_path}/checkout"),
        vec![("csrf", pcsrf.clone())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post(
        &anna,
        &format!("{doc_path}/checkout"),
        vec![("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(r.status(), 422);
    let form = reqwest::multipart::Form::new().text("csrf", pcsrf.clone());
    let r = piotr
        .post(t.url(&format!("{doc_path}/checkin")))
        .multipart(form)
        .send()
        .await
        .expect("checkin");
    assert_eq!(r.status(), 303);
    let d = t
        .services
        .store
        .library_document(&doc)
        .await
        .expect("read")
        .expect("doc");
    assert_eq!((d.versions, d.holder_id), (2, None));

    // Shared no more; linked into Anna's case, on which Piotr is asked for an opinion.
    let r = post(
        &anna,
        &format!("{folder_path}/unshare"),
        vec![("csrf", csrf.clone()), ("department", gk.clone())],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.page(&piotr, &doc_path).await.0, 404);
    let (st, c) = t
        .api(
            &token,
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(json!({"department": "OR", "jrwa": "015", "title": "Zawiadomienie stron", "party": "Zofia Wąsik"})),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    let case = c["id"].as_str().expect("case").to_string();
    let r = post(
        &anna,
        &format!("{doc_path}/links"),
        vec![("csrf", csrf.clone()), ("target", "case:nope".into())],
    )
    .await;
    assert_eq!(r.status(), 422, "only one's own task or case");
    let r = post(
        &anna,
        &format!("{doc_path}/links"),
        vec![("csrf", csrf.clone()), ("target", format!("case:{case}"))],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.page(&anna, &format!("/cases/{case}")).await;
    assert!(html.contains(&doc_path), "the case page links the document");
    let piotr_token = t.demo_token("piotr.zielinski@okienko.test").await;
    let (_, me) = t
        .api(&piotr_token, reqwest::Method::GET, "/api/v1/me", None)
        .await;
    let (st, task) = t
        .api(
            &token,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{case}/tasks"),
            Some(
                json!({"kind": "opinion", "assignee": me["id"], "text": "Czy wzór jest aktualny?"}),
            ),
        )
        .await;
    assert_eq!(st, 201, "{task}");
    let (st, html) = t.page(&piotr, &doc_path).await;
    assert_eq!(st, 200, "read through the case");
    assert!(!html.contains("/checkout"));
    assert_eq!(
        piotr
            .get(t.url(&format!("{doc_path}/versions/0")))
            .send()
            .await
            .expect("latest")
            .bytes()
            .await
            .expect("bytes")
            .as_ref(),
        b"Wersja druga"
    );

    // The same over the API: a folder, a document from base64, a check-out and a check-in
    // with a second version, the folder shared with GK to read.
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let m = reqwest::Method::POST;
    let (st, f) = t
        .api(
            &token,
            m.clone(),
            "/api/v1/library/folders",
            Some(json!({"office": office, "department": or, "name": "Uchwały"})),
        )
        .await;
    assert_eq!(st, 201, "{f}");
    let fid = f["id"].as_str().expect("folder").to_string();
    let (st, e) = t
        .api(
            &token,
            m.clone(),
            "/api/v1/library/folders",
            Some(json!({"office": office, "department": or, "name": "Uchwały"})),
        )
        .await;
    assert_eq!(st, 409, "{e}");
    let (st, d) = t
        .api(
            &token,
            m.clone(),
            "/api/v1/library/documents",
            Some(json!({"office": office, "department": or, "folder": fid, "title": "Uchwała budżetowa",
                "name": "uchwala.txt", "content": b64("Projekt")})),
        )
        .await;
    assert_eq!(st, 201, "{d}");
    let api_doc = format!(
        "/api/v1/library/documents/{}",
        d["id"].as_str().expect("id")
    );
    let (st, d) = t
        .api(&token, m.clone(), &format!("{api_doc}/checkout"), None)
        .await;
    assert_eq!((st, d["holder"].as_str()), (200, Some("Anna Nowak")), "{d}");
    let (st, d) = t
        .api(
            &token,
            m.clone(),
            &format!("{api_doc}/checkin"),
            Some(json!({"name": "uchwala.txt", "content": b64("Uchwała przyjęta")})),
        )
        .await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["versions"].as_array().map(Vec::len), Some(2), "{d}");
    assert!(d["holder"].is_null());
    let (st, shares) = t
        .api(
            &token,
            m.clone(),
            &format!("/api/v1/library/folders/{fid}/shares"),
            Some(json!({"department": gk, "level": "read"})),
        )
        .await;
    assert_eq!(st, 200, "{shares}");
    assert_eq!(shares[0]["level"], "read");
    let (st, lib) = t
        .api(&piotr_token, reqwest::Method::GET, "/api/v1/library", None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(lib["shared"][0]["folder"]["id"], fid.as_str(), "{lib}");
    let (st, d) = t
        .api(&piotr_token, reqwest::Method::GET, &api_doc, None)
        .await;
    assert_eq!((st, d["may_edit"].as_bool()), (200, Some(false)), "{d}");
    assert_eq!(
        t.api(
            &piotr_token,
            m.clone(),
            &format!("{api_doc}/checkout"),
            None
        )
        .await
        .0,
        404
    );

    // A citizen has no library.
    let jan = t.demo_web("jan.kowalski@okienko.test").await;
    assert_eq!(t.page(&jan, "/library").await.0, 404);
    assert_eq!(t.page(&jan, &doc_path).await.0, 404);
}

/// A folder renamed and a document given a new title in the browser's forms, then the
/// document removed after the question, and the folder once empty; who only reads may do
/// none of it; bad names change nothing. Over the API the same.
#[tokio::test]
async fn documents_and_folders_are_renamed_and_removed_when_added_by_mistake() {
    let t = TestServer::seeded().await;
    let anna = t.demo_web("anna.nowak@okienko.test").await;
    let piotr = t.demo_web("piotr.zielinski@okienko.test").await;
    let anna_p = crate::common::principal(&t, "anna.nowak@okienko.test").await;
    let office = anna_p.grants[0].office_id.clone().expect("office");
    let or = t
        .services
        .store
        .departments(&office)
        .await
        .expect("depts")
        .into_iter()
        .find(|d| d.code == "OR")
        .expect("OR")
        .id;
    let s = &t.services;
    let folder = s
        .add_library_folder(&anna_p, &office, &or, None, "Robocze")
        .await
        .expect("folder");
    let doc = s
        .upload_library_document(
            &anna_p,
            &office,
            &or,
            Some(&folder.id),
            "Notatka robocza",
            "notatka.txt",
            b"Notatka ze spotkania".to_vec(),
        )
        .await
        .expect("document");
    let folder_path = format!("/library/folders/{}", folder.id);
    let doc_path = format!("/library/documents/{}", doc.id);
    let (st, html) = t.page(&anna, &folder_path).await;
    assert_eq!(st, 200);
    assert!(html.contains(&format!("action=\"{folder_path}/name\"")));
    assert!(
        !html.contains(&format!("action=\"{folder_path}/remove\"")),
        "not offered while it holds something"
    );
    let csrf = csrf_of(&html);
    let post = |c: &reqwest::Client, path: String, form: Vec<(&'static str, String)>| {
        let req = c.post(t.url(&path)).form(&form);
        async move { req.send().await.expect("post") }
    };
    let with = |more: &[(&'static str, &str)]| {
        let mut f = vec![("csrf", csrf.clone())];
        f.extend(more.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };

    // Renamed; a name with a slash is refused at the renaming field.
    let r = post(
        &anna,
        format!("{folder_path}/name"),
        with(&[("rename", "a/b")]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("id=\"e-rename\""));
    let r = post(
        &anna,
        format!("{folder_path}/name"),
        with(&[("rename", "Robocze 2026")]),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        s.store
            .folder(&folder.id)
            .await
            .expect("read")
            .expect("it")
            .name,
        "Robocze 2026"
    );
    // A new title; an empty one is refused.
    let r = post(&anna, format!("{doc_path}/title"), with(&[("title", " ")])).await;
    assert_eq!(r.status(), 422);
    let r = post(
        &anna,
        format!("{doc_path}/title"),
        with(&[("title", "Notatka ze spotkania")]),
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, html) = t.page(&anna, &doc_path).await;
    assert!(html.contains("<h1 lang=\"pl\">Notatka ze spotkania</h1>"));
    // Piotr (GK) may do none of it.
    let piotr_csrf = t.csrf(&piotr, "/library").await;
    for (path, field) in [
        (format!("{folder_path}/name"), "rename"),
        (format!("{doc_path}/title"), "title"),
        (format!("{doc_path}/remove"), "x"),
        (format!("{folder_path}/remove"), "x"),
    ] {
        let form = vec![
            ("csrf", piotr_csrf.clone()),
            (field, "Cudze".to_string()),
            ("confirm", "yes".to_string()),
        ];
        let r = post(&piotr, path.clone(), form).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    // The folder holds the document: it stays.
    let r = post(
        &anna,
        format!("{folder_path}/remove"),
        with(&[("confirm", "yes")]),
    )
    .await;
    assert_eq!(r.status(), 422);
    // The document: the question first, then removed, with its versions.
    let r = post(&anna, format!("{doc_path}/remove"), with(&[])).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("name=\"confirm\""));
    let r = post(
        &anna,
        format!("{doc_path}/remove"),
        with(&[("confirm", "yes")]),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(sent_to(&r), folder_path);
    assert!(s
        .store
        .library_document(&doc.id)
        .await
        .expect("read")
        .is_none());
    assert_eq!(t.page(&anna, &doc_path).await.0, 404);
    // Now empty, the folder goes too.
    let r = post(
        &anna,
        format!("{folder_path}/remove"),
        with(&[("confirm", "yes")]),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        sent_to(&r),
        format!("/offices/{office}/departments/{or}/library")
    );
    assert!(s.store.folder(&folder.id).await.expect("read").is_none());

    // Over the API.
    let token = t.demo_token("anna.nowak@okienko.test").await;
    let doc = s
        .upload_library_document(
            &anna_p,
            &office,
            &or,
            None,
            "Szkic",
            "szkic.txt",
            b"Szkic".to_vec(),
        )
        .await
        .expect("document");
    let api_doc = format!("/api/v1/library/documents/{}", doc.id);
    let (st, d) = t
        .api(
            &token,
            reqwest::Method::PATCH,
            &api_doc,
            Some(json!({"title": "Szkic pisma"})),
        )
        .await;
    assert_eq!((st, d["title"].as_str()), (200, Some("Szkic pisma")), "{d}");
    let (st, _) = t
        .api(
            &token,
            reqwest::Method::PATCH,
            &api_doc,
            Some(json!({"title": ""})),
        )
        .await;
    assert_eq!(st, 422);
    let (st, _) = t.api(&token, reqwest::Method::DELETE, &api_doc, None).await;
    assert_eq!(st, 204);
    let (st, _) = t.api(&token, reqwest::Method::GET, &api_doc, None).await;
    assert_eq!(st, 404);
}
