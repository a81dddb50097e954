//! The storage suite: every test runs on SQLite (a fresh file) and, when
//! `OKIENKO_TEST_DATABASE_URL` points at PostgreSQL, on a fresh PostgreSQL database too.

use okienko_domain::audit::{verify_chain, AuditEvent};
use okienko_domain::status::{ApplicationStatus, BatchStatus};
use okienko_domain::{Role, RoleGrant};
use okienko_store::prelude::*;
use okienko_store::{
    Department, Folder, Handover, ListFilter, NewMessage, Office, PaperLetter, PrintBatch,
    ServicePoint, Session, SqlStore, Store, StoreError, TpDecision, TpOutcome, User,
};
use sqlx::Row;

struct Fresh {
    store: SqlStore,
    cleanup: Option<(String, String)>,
}

async fn fresh_stores() -> Vec<Fresh> {
    let mut out = Vec::new();
    let dir = std::env::temp_dir().join(format!("okienko-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("okienko.db").display());
    let store = SqlStore::connect(&url).await.expect("sqlite");
    out.push(Fresh {
        store,
        cleanup: None,
    });
    if let Ok(base) = std::env::var("OKIENKO_TEST_DATABASE_URL") {
        let admin = SqlStore::connect(&base)
            .await
            .expect("postgres admin connection");
        let name = format!("okienko_t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.raw_pool())
            .await
            .expect("create database");
        let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
        let store = SqlStore::connect(&format!("{prefix}/{name}"))
            .await
            .expect("postgres");
        out.push(Fresh {
            store,
            cleanup: Some((base, name)),
        });
    }
    for f in &out {
        f.store.migrate().await.expect("migrate");
    }
    out
}

async fn drop_all(stores: Vec<Fresh>) {
    for f in stores {
        f.store.raw_pool().close().await;
        if let Some((base, name)) = f.cleanup {
            if let Ok(admin) = SqlStore::connect(&base).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(admin.raw_pool())
                    .await;
            }
        }
    }
}

fn ev(action: &'static str) -> AuditEvent {
    AuditEvent::new(1_000, None, action, "test")
}

fn user(id: &str, email: &str) -> User {
    User {
        id: id.into(),
        email: email.into(),
        display_name: format!("User {id}"),
        password_hash: "x".into(),
        email_verified: false,
        totp_secret: None,
        totp_last_step: None,
        locale: None,
        disabled: false,
        created_at: 1_000,
    }
}

async fn verify(store: &SqlStore) -> Result<u64, okienko_domain::audit::ChainBreak> {
    let (rows, head) = store.audit_chain().await.expect("chain");
    verify_chain(rows.iter().map(|(e, h)| (e, h.as_str())), (head.0, &head.1))
}

#[tokio::test]
async fn migrations_apply_once_on_every_backend() {
    let stores = fresh_stores().await;
    for f in &stores {
        // Already migrated by fresh_stores: a second run applies nothing and breaks nothing.
        assert!(f.store.migrate().await.expect("migrate again").is_empty());
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM schema_migrations")
            .fetch_one(f.store.raw_pool())
            .await
            .expect("count")
            .get(0);
        assert_eq!(n, okienko_store::MIGRATION_COUNT as i64);
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn users_grants_and_unique_email() {
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let office = Office {
            id: "o1".into(),
            name: "Urząd".into(),
            nip: "5260001246".into(),
            regon: "123456785".into(),
            street: "Rynek 1".into(),
            postal_code: "00-001".into(),
            city: "Przykładowo".into(),
            created_at: 1,
        };
        s.create_office(&office, &ev("office.create"))
            .await
            .expect("office");
        let dept = Department {
            id: "d1".into(),
            office_id: "o1".into(),
            code: "OR".into(),
            name: "Organizacyjny".into(),
        };
        s.create_department(&dept, &ev("department.create"))
            .await
            .expect("dept");
        let dup = Department {
            id: "d2".into(),
            ..dept.clone()
        };
        assert!(matches!(
            s.create_department(&dup, &ev("department.create")).await,
            Err(StoreError::Conflict(_))
        ));
        let g = RoleGrant {
            role: Role::Official,
            office_id: Some("o1".into()),
            department_id: Some("d1".into()),
            service_point_id: None,
        };
        s.create_user(
            &user("u1", "a@x.pl"),
            std::slice::from_ref(&g),
            &ev("user.create"),
        )
        .await
        .expect("user");
        assert!(matches!(
            s.create_user(&user("u2", "a@x.pl"), &[], &ev("user.create"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.user_by_id("u2").await.expect("read").is_none(),
            "a failed create leaves nothing"
        );
        assert_eq!(s.grants_of("u1").await.expect("grants"), vec![g.clone()]);
        let staff = s.office_staff("o1").await.expect("staff");
        assert_eq!(staff.len(), 1);
        // A new role replaces the office's grants, whatever they were.
        let admin = RoleGrant {
            role: Role::OfficeAdmin,
            department_id: None,
            ..g.clone()
        };
        s.set_office_grant("u1", "o1", &admin, &ev("staff.change"))
            .await
            .expect("change");
        assert_eq!(s.grants_of("u1").await.expect("grants"), vec![admin]);
        s.set_office_grant("u1", "o1", &g, &ev("staff.change"))
            .await
            .expect("back");
        s.delete_department("o1", "d1", &ev("department.delete"))
            .await
            .expect("delete");
        assert!(s.departments("o1").await.expect("depts").is_empty());
        assert!(s.advance_totp_step("u1", 5).await.expect("step"));
        assert!(!s.advance_totp_step("u1", 5).await.expect("replay"));
        let p = ServicePoint {
            id: "p1".into(),
            name: "UP 1".into(),
            street: "Pocztowa 1".into(),
            postal_code: "00-001".into(),
            city: "X".into(),
            is_open: true,
            created_at: 1,
        };
        s.create_service_point(&p, &ev("point.create"))
            .await
            .expect("point");
        assert_eq!(s.service_points().await.expect("points"), vec![p]);
        assert_eq!(verify(s).await, Ok(7), "{:?}", s.backend());
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn sessions_tokens_and_throttling() {
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        s.create_user(&user("u1", "a@x.pl"), &[], &ev("user.create"))
            .await
            .expect("user");
        let sess = Session {
            token_hash: "h".into(),
            user_id: "u1".into(),
            kind: "web".into(),
            csrf: "c".into(),
            created_at: 0,
            expires_at: 100,
            device: "Firefox on Linux".into(),
        };
        s.create_session(&sess).await.expect("session");
        assert_eq!(
            s.session("h", 50)
                .await
                .expect("get")
                .map(|(s, u)| (s, u.id)),
            Some((sess.clone(), "u1".to_string()))
        );
        assert_eq!(s.session("h", 100).await.expect("expired"), None);
        // A person's own sessions: listed newest first, ended one by one or all but the one
        // in use, never someone else's.
        s.create_user(&user("u2", "b@x.pl"), &[], &ev("user.create"))
            .await
            .expect("user 2");
        for (hash, user_id, created) in [("h2", "u1", 10), ("h3", "u1", 20), ("o", "u2", 30)] {
            let other = Session {
                token_hash: hash.into(),
                user_id: user_id.into(),
                created_at: created,
                ..sess.clone()
            };
            s.create_session(&other).await.expect("session");
        }
        let mine = |now| async move {
            s.user_sessions("u1", now)
                .await
                .expect("list")
                .into_iter()
                .map(|x| x.token_hash)
                .collect::<Vec<_>>()
        };
        assert_eq!(mine(50).await, ["h3", "h2", "h"]);
        assert_eq!(mine(100).await, Vec::<String>::new());
        assert!(!s.delete_user_session("u1", "o").await.expect("not mine"));
        assert!(s.delete_user_session("u1", "h2").await.expect("mine"));
        assert_eq!(mine(50).await, ["h3", "h"]);
        s.delete_other_sessions("u1", "h").await.expect("others");
        assert_eq!(mine(50).await, ["h"]);
        assert!(s.session("o", 50).await.expect("theirs").is_some());
        s.set_display_name("u1", "Jan Nowak", &ev("user.rename"))
            .await
            .expect("rename");
        assert_eq!(
            s.user_by_id("u1")
                .await
                .expect("u")
                .expect("u")
                .display_name,
            "Jan Nowak"
        );
        s.create_token("verify", "t", "u1", 100)
            .await
            .expect("token");
        assert_eq!(
            s.consume_token("verify", "t", 200).await.expect("late"),
            None
        );
        s.create_token("reset", "t2", "u1", 100)
            .await
            .expect("token");
        assert_eq!(
            s.consume_token("verify", "t2", 50)
                .await
                .expect("wrong kind"),
            None
        );
        assert_eq!(
            s.consume_token("reset", "t2", 50).await.expect("use"),
            Some("u1".into())
        );
        assert_eq!(
            s.consume_token("reset", "t2", 50).await.expect("reuse"),
            None
        );
        assert_eq!(
            s.count_attempt(&["acct:a".into(), "ip:1".into()], 10, 0)
                .await
                .expect("attempt"),
            vec![1, 1]
        );
        assert_eq!(
            s.count_attempt(&["acct:a".into()], 20, 0)
                .await
                .expect("attempt"),
            vec![2]
        );
        // Older attempts are pruned (the table does not grow for ever) and not counted.
        assert_eq!(
            s.count_attempt(&["ip:1".into()], 30, 15)
                .await
                .expect("attempt"),
            vec![1]
        );
        s.forget_attempt("ip:1", 30).await.expect("forget");
        assert_eq!(
            s.count_attempt(&["ip:1".into()], 31, 15)
                .await
                .expect("attempt"),
            vec![1]
        );
        s.clear_login_failures("acct:a").await.expect("clear");
        assert_eq!(
            s.count_attempt(&["acct:a".into()], 40, 0)
                .await
                .expect("attempt"),
            vec![1]
        );
        // Concurrent attempts see each other: 20 at once count 1..=20, each number once.
        let race = ["acct:race".to_string()];
        let mut counts: Vec<i64> = futures_join_all((0..20).map(|_| s.count_attempt(&race, 50, 0)))
            .await
            .into_iter()
            .map(|r| r.expect("attempt")[0])
            .collect();
        counts.sort_unstable();
        assert_eq!(*counts.last().expect("max"), 20);
        assert!(
            counts.iter().filter(|c| **c <= 10).count() <= 10,
            "{counts:?}"
        );
        assert_eq!(s.setting_init("k", "v1").await.expect("init"), "v1");
        assert_eq!(s.setting_init("k", "v2").await.expect("init"), "v1");
        s.setting_put("k", "v3").await.expect("put");
        assert_eq!(s.setting("k").await.expect("get").as_deref(), Some("v3"));
        // A lease: one holder until it runs out, then the next.
        assert!(s.take_lease("sweep", 1_000, 2_000).await.expect("first"));
        assert!(!s.take_lease("sweep", 1_500, 2_500).await.expect("held"));
        assert!(s.take_lease("sweep", 2_000, 3_000).await.expect("ran out"));
        assert!(!s
            .take_lease("sweep", 2_999, 4_000)
            .await
            .expect("held again"));
        assert!(s
            .take_lease("other", 2_999, 4_000)
            .await
            .expect("another lease"));
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn jobs_are_claimed_once_and_retried() {
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        for i in 0..20 {
            s.enqueue_job("email", &format!("{{\"n\":{i}}}"), 100, 3)
                .await
                .expect("enqueue");
        }
        s.enqueue_job("email", "{}", 10_000, 3)
            .await
            .expect("future job");
        // Two workers claim concurrently: every due job goes to exactly one of them.
        let (a, b) = tokio::join!(s.claim_jobs(100, 1000, 15), s.claim_jobs(100, 1000, 15));
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_eq!(a.len() + b.len(), 20);
        let mut ids: Vec<_> = a.iter().chain(&b).map(|j| j.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 20);
        assert!(s
            .claim_jobs(200, 1000, 50)
            .await
            .expect("leased")
            .is_empty());
        for j in a.iter().skip(1).chain(&b) {
            s.complete_jobs(std::slice::from_ref(&j.id), 300)
                .await
                .expect("done");
        }
        let j = &a[0];
        assert_eq!(j.handed_at, None);
        // An attempt that handed the job over and stopped: claimed again after the lease,
        // the job says so.
        s.hand_job(&j.id, 120).await.expect("hand over");
        let again = s.claim_jobs(1200, 1000, 50).await.expect("lease ended");
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].attempts, again[0].handed_at), (2, Some(120)));
        // A failure (the server refused) clears it for the retry.
        s.fail_job(&j.id, "smtp down", Some(2300), 1250)
            .await
            .expect("fail");
        let again = s.claim_jobs(2300, 1000, 50).await.expect("retry");
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].attempts, again[0].handed_at), (3, None));
        s.fail_job(&j.id, "smtp down", None, 2400)
            .await
            .expect("give up");
        let c = s.job_counts().await.expect("counts");
        assert_eq!((c.pending, c.done, c.failed), (1, 19, 1));
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn audit_chain_detects_edit_delete_and_reorder() {
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let mut tasks = Vec::new();
        for i in 0..10 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.append_audit(
                    &AuditEvent::new(i, Some("u"), "person.read", format!("o{i}")).subject("p1"),
                )
                .await
            }));
        }
        for t in tasks {
            t.await.expect("join").expect("append");
        }
        assert_eq!(
            verify(s).await,
            Ok(10),
            "concurrent appends chain correctly"
        );
        assert_eq!(
            s.audit_for_subject("p1", 100).await.expect("tracker").len(),
            10
        );
        let pool = s.raw_pool();
        // Edit
        sqlx::query("UPDATE audit_log SET object = 'x' WHERE seq = 4")
            .execute(pool)
            .await
            .expect("edit");
        assert!(verify(s).await.is_err());
        let orig = format!("o{}", s.audit_chain().await.expect("c").0[3].0.at);
        sqlx::query("UPDATE audit_log SET object = $1 WHERE seq = 4")
            .bind(orig)
            .execute(pool)
            .await
            .expect("undo");
        assert_eq!(verify(s).await, Ok(10));
        // Reorder: swap rows 5 and 6 by renumbering them.
        sqlx::query("UPDATE audit_log SET seq = -5 WHERE seq = 5")
            .execute(pool)
            .await
            .expect("r1");
        sqlx::query("UPDATE audit_log SET seq = 5 WHERE seq = 6")
            .execute(pool)
            .await
            .expect("r2");
        sqlx::query("UPDATE audit_log SET seq = 6 WHERE seq = -5")
            .execute(pool)
            .await
            .expect("r3");
        assert!(verify(s).await.is_err());
        sqlx::query("UPDATE audit_log SET seq = -5 WHERE seq = 6")
            .execute(pool)
            .await
            .expect("u1");
        sqlx::query("UPDATE audit_log SET seq = 6 WHERE seq = 5")
            .execute(pool)
            .await
            .expect("u2");
        sqlx::query("UPDATE audit_log SET seq = 5 WHERE seq = -5")
            .execute(pool)
            .await
            .expect("u3");
        assert_eq!(verify(s).await, Ok(10));
        // Delete in the middle, then at the end.
        sqlx::query("DELETE FROM audit_log WHERE seq = 10")
            .execute(pool)
            .await
            .expect("del end");
        assert!(verify(s).await.is_err());
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(pool)
            .await
            .expect("del");
        assert!(verify(s).await.is_err());
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn unknown_url_scheme_is_an_error() {
    assert!(matches!(
        SqlStore::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
    assert!(matches!(
        SqlStore::connect("/tmp/x.db").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
}

#[tokio::test]
async fn evidence_log_appends_in_order_and_refuses_a_stale_writer() {
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let batch: Vec<(String, String)> =
            (0..5).map(|i| (format!("h{i}"), format!("l{i}"))).collect();
        assert_eq!(s.append_log_leaves(0, &batch, 1).await.expect("append"), 0);
        assert_eq!(
            s.append_log_leaves(5, &batch[..2], 2)
                .await
                .expect("append"),
            5
        );
        assert!(matches!(
            s.append_log_leaves(5, &batch[..1], 3).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.log_leaf_hashes(0).await.expect("hashes").len(), 7);
        assert_eq!(s.log_leaves(5, 10).await.expect("leaves").len(), 2);
        assert_eq!(s.log_index_of("h3").await.expect("idx"), Some(3));
        let h = okienko_store::TreeHead {
            tree_size: 7,
            timestamp_ms: 10,
            root_hash: "r".into(),
            signature: "s".into(),
        };
        s.insert_tree_head(&h).await.expect("head");
        assert_eq!(s.latest_tree_head().await.expect("latest"), Some(h.clone()));
        assert_eq!(s.tree_heads().await.expect("heads"), vec![h.clone()]);
        // A head another instance signed as large, or that is older, is not kept.
        for (tree_size, timestamp_ms) in [(7, 11), (8, 9)] {
            let late = okienko_store::TreeHead {
                tree_size,
                timestamp_ms,
                ..h.clone()
            };
            s.insert_tree_head(&late).await.expect("late head");
        }
        assert_eq!(s.tree_heads().await.expect("heads"), vec![h]);

        // Two instances appending at once: each reads the size, appends after it, and on a
        // conflict (the other appended first) reads again; nothing is lost or numbered twice.
        let writer = |s: SqlStore, tag: &'static str| async move {
            let mut conflicts = 0;
            for i in 0..40 {
                let leaf = vec![(format!("{tag}{i}"), "bGVhZg==".to_string())];
                loop {
                    let size = s.log_leaf_hashes(0).await.expect("size").len() as i64;
                    match s.append_log_leaves(size, &leaf, 20).await {
                        Ok(first) => {
                            assert_eq!(first, size);
                            break;
                        }
                        Err(StoreError::Conflict(_)) => conflicts += 1,
                        Err(e) => panic!("append from {tag}: {e}"),
                    }
                }
            }
            conflicts
        };
        let (a, b) = tokio::join!(
            tokio::spawn(writer(s.clone(), "a")),
            tokio::spawn(writer(s.clone(), "b"))
        );
        let _ = (a.expect("a"), b.expect("b"));
        let hashes = s.log_leaf_hashes(0).await.expect("hashes");
        assert_eq!(hashes.len(), 87);
        assert_eq!(s.log_leaf_hashes(80).await.expect("tail").len(), 7);
        let again = s.log_leaves(0, 1000).await.expect("leaves");
        assert!(again.iter().enumerate().all(|(i, l)| l.idx == i as i64));

        // Evidence whose signed bytes are its log leaf is stored once (in the log) and read
        // back whole; other evidence keeps its own bytes.
        let record = |id: &str, log_index: i64, signed: &str| okienko_store::EvidenceRecord {
            id: id.into(),
            message_id: None,
            recipient: String::new(),
            kind: "submission-rejection".into(),
            issued_at: 1,
            log_index,
            document: "{}".into(),
            signed_b64: signed.into(),
        };
        s.insert_evidence(&record("same", 3, "l3"))
            .await
            .expect("same");
        s.insert_evidence(&record("other", 4, "not-the-leaf"))
            .await
            .expect("other");
        assert_eq!(
            s.evidence("same")
                .await
                .expect("read")
                .map(|e| e.signed_b64),
            Some("l3".to_string())
        );
        assert_eq!(
            s.evidence("other")
                .await
                .expect("read")
                .map(|e| e.signed_b64),
            Some("not-the-leaf".to_string())
        );
        let stored: String = sqlx::query("SELECT signed FROM evidence WHERE id = 'same'")
            .fetch_one(s.raw_pool())
            .await
            .expect("raw")
            .get(0);
        assert_eq!(stored, "=log");
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn mailboxes_register_and_members() {
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        s.create_user(&user("u1", "a@x.pl"), &[], &ev("user.create"))
            .await
            .expect("user");
        s.create_user(&user("u2", "b@x.pl"), &[], &ev("user.create"))
            .await
            .expect("user");
        let office = Office {
            id: "o1".into(),
            name: "Urząd Gminy Przykładowo".into(),
            nip: "5260001246".into(),
            regon: "123456785".into(),
            street: "Rynek 1".into(),
            postal_code: "00-001".into(),
            city: "Przykładowo".into(),
            created_at: 1,
        };
        s.create_office(&office, &ev("office.create"))
            .await
            .expect("office");
        let mb = |address: &str, kind: &str, name: &str| okienko_store::Mailbox {
            address: address.into(),
            kind: kind.into(),
            name: name.into(),
            owner_user_id: None,
            office_id: None,
            pesel: None,
            nip: None,
            city: "Przykładowo".into(),
            created_at: 1,
        };
        let body = okienko_store::Mailbox {
            office_id: Some("o1".into()),
            nip: Some("5260001246".into()),
            ..mb("AE:1", "public_body", "Urząd Gminy Przykładowo")
        };
        s.create_mailbox(
            &body,
            &[("u2".into(), "official".into())],
            &ev("mailbox.create"),
        )
        .await
        .expect("office mailbox");
        let person = okienko_store::Mailbox {
            owner_user_id: Some("u1".into()),
            pesel: Some("44051401359".into()),
            ..mb("AE:2", "person", "Jan Kowalski")
        };
        s.create_mailbox(&person, &[], &ev("mailbox.create"))
            .await
            .expect("person mailbox");
        assert!(matches!(
            s.create_mailbox(&person, &[], &ev("mailbox.create")).await,
            Err(StoreError::Conflict(_))
        ));
        // The public register finds public bodies only, by name, NIP or city, any case.
        assert_eq!(
            s.search_public_mailboxes("urząd", 10)
                .await
                .expect("search")
                .len(),
            1
        );
        assert_eq!(
            s.search_public_mailboxes("526000", 10)
                .await
                .expect("search")
                .len(),
            1
        );
        assert_eq!(
            s.search_public_mailboxes("kowalski", 10)
                .await
                .expect("search")
                .len(),
            0
        );
        assert_eq!(
            s.search_public_mailboxes("%", 10)
                .await
                .expect("search")
                .len(),
            1,
            "only wildcards: public bodies, never persons"
        );
        assert_eq!(
            s.mailbox_by_identifier(Some("44051401359"), None)
                .await
                .expect("lookup")
                .map(|m| m.address),
            Some("AE:2".into())
        );
        assert!(
            s.mailbox_by_identifier(None, Some("5260001246"))
                .await
                .expect("lookup")
                .is_none(),
            "public bodies are not looked up by identifier"
        );
        assert_eq!(
            s.office_mailbox("o1")
                .await
                .expect("office")
                .map(|m| m.address),
            Some("AE:1".into())
        );
        let of_u2 = s.mailboxes_of_user("u2").await.expect("of user");
        assert_eq!(of_u2.len(), 1);
        assert_eq!(of_u2[0].1, "official");
        assert_eq!(
            s.mailboxes_of_user("u1").await.expect("of user")[0].1,
            "owner"
        );
        // Members listed with their roles, and removed once.
        let office_box_addr = "AE:1".to_string();
        let before = s.mailbox_members(&office_box_addr).await.expect("members");
        assert_eq!(
            before
                .iter()
                .map(|(u, r)| (u.id.as_str(), r.as_str()))
                .collect::<Vec<_>>(),
            vec![("u2", "official")]
        );
        for (u, _) in &before {
            s.remove_mailbox_member(&office_box_addr, &u.id, &ev("mailbox.member.remove"))
                .await
                .expect("remove");
            assert!(matches!(
                s.remove_mailbox_member(&office_box_addr, &u.id, &ev("mailbox.member.remove"))
                    .await,
                Err(StoreError::NotFound)
            ));
        }
        assert!(s
            .mailbox_members(&office_box_addr)
            .await
            .expect("members")
            .is_empty());
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn messages_deliveries_and_evidence_once() {
    use okienko_store::{Attachment, Delivery, EvidenceRecord, Message};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        s.create_user(&user("u1", "a@x.pl"), &[], &ev("user.create"))
            .await
            .expect("user");
        let mb = |address: &str, kind: &str| okienko_store::Mailbox {
            address: address.into(),
            kind: kind.into(),
            name: address.into(),
            owner_user_id: None,
            office_id: None,
            pesel: None,
            nip: None,
            city: String::new(),
            created_at: 1,
        };
        s.create_mailbox(&mb("A", "public_body"), &[], &ev("mailbox.create"))
            .await
            .expect("a");
        s.create_mailbox(&mb("B", "person"), &[], &ev("mailbox.create"))
            .await
            .expect("b");
        let evr = |id: &str, msg: &str, recipient: &str, kind: &str| EvidenceRecord {
            id: id.into(),
            message_id: Some(msg.into()),
            recipient: recipient.into(),
            kind: kind.into(),
            issued_at: 1,
            log_index: 0,
            document: "{}".into(),
            signed_b64: String::new(),
        };
        for i in 0..5i64 {
            let id = format!("m{i}");
            let m = Message {
                id: id.clone(),
                sender: "A".into(),
                sender_user_id: Some("u1".into()),
                subject: format!("s{i}"),
                body: "b".into(),
                body_sha256: None,
                sent_at: 100 + i,
                idempotency_key: Some(format!("k{i}")),
                reply_to: None,
            };
            let d = Delivery {
                message_id: id.clone(),
                recipient: "B".into(),
                sent_at: 100 + i,
                delivered_at: 100 + i,
                opened_at: None,
                deemed_at: None,
                deemable: true,
            };
            let a = Attachment {
                message_id: id.clone(),
                n: 0,
                name: "a.pdf".into(),
                size: 3,
                sha256: "00".into(),
                media_type: "application/pdf".into(),
            };
            s.insert_message(&NewMessage {
                search_text: String::new(),
                message: m,
                deliveries: vec![d],
                attachments: vec![a],
                evidence: vec![evr(&format!("e{i}"), &id, "", "submission-acceptance")],
                letters: vec![],
                notify: vec![],
                submission: None,
            })
            .await
            .expect("insert");
        }
        // Same idempotency key: refused, nothing half-written.
        let dup = Message {
            id: "dup".into(),
            sender: "A".into(),
            sender_user_id: None,
            subject: "x".into(),
            body: "x".into(),
            body_sha256: None,
            sent_at: 1,
            idempotency_key: Some("k0".into()),
            reply_to: None,
        };
        assert!(matches!(
            s.insert_message(&NewMessage {
                search_text: String::new(),
                message: dup,
                deliveries: vec![],
                attachments: vec![],
                evidence: vec![],
                letters: vec![],
                notify: vec![],
                submission: None,
            })
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(s.message("dup").await.expect("read").is_none());
        assert_eq!(
            s.message_by_idempotency("A", "k3")
                .await
                .expect("idem")
                .as_deref(),
            Some("m3")
        );
        // Keyset pages, newest first, in both folders.
        for sent in [true, false] {
            let addr = if sent { "A" } else { "B" };
            let folder = if sent { Folder::Sent } else { Folder::Inbox };
            let none = ListFilter::default();
            let first = s
                .list_messages(addr, folder, &none, None, 2)
                .await
                .expect("page 1");
            assert_eq!(
                first.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
                vec!["m4", "m3"]
            );
            let last = first.last().expect("last");
            let second = s
                .list_messages(
                    addr,
                    folder,
                    &none,
                    Some((last.sent_at, last.id.clone())),
                    10,
                )
                .await
                .expect("page 2");
            assert_eq!(
                second.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
                vec!["m2", "m1", "m0"]
            );
        }
        assert_eq!(
            s.recipients_of(&["m1".into(), "m2".into()])
                .await
                .expect("recipients")
                .len(),
            2
        );
        // Opening and deeming happen once each, and exclude each other.
        assert!(s
            .settle_delivery(
                Handover::Opened,
                "m0",
                "B",
                200,
                &evr("h0", "m0", "B", "content-handover")
            )
            .await
            .expect("open"));
        assert!(!s
            .settle_delivery(
                Handover::Opened,
                "m0",
                "B",
                201,
                &evr("h0b", "m0", "B", "content-handover")
            )
            .await
            .expect("open again"));
        let due = s.due_for_deemed_delivery(102, 10).await.expect("due");
        assert_eq!(
            due.iter()
                .map(|d| d.message_id.as_str())
                .collect::<Vec<_>>(),
            vec!["m1", "m2"],
            "opened m0 is not due"
        );
        assert!(s
            .settle_delivery(
                Handover::Deemed,
                "m1",
                "B",
                300,
                &evr("d1", "m1", "B", "deemed-delivery")
            )
            .await
            .expect("deem"));
        assert!(!s
            .settle_delivery(
                Handover::Deemed,
                "m1",
                "B",
                301,
                &evr("d1b", "m1", "B", "deemed-delivery")
            )
            .await
            .expect("deem again"));
        assert!(!s
            .settle_delivery(
                Handover::Opened,
                "m1",
                "B",
                302,
                &evr("h1", "m1", "B", "content-handover")
            )
            .await
            .expect("open after deemed"));
        assert_eq!(
            s.evidence_of_message("m1").await.expect("evidence").len(),
            2
        );
        assert_eq!(
            s.evidence("d1").await.expect("one").map(|e| e.kind),
            Some("deemed-delivery".into())
        );
        assert_eq!(s.attachments("m1").await.expect("attachments").len(), 1);
        // What is new: the unopened messages of each mailbox, and the first that will be
        // deemed delivered; a mailbox with nothing new is not listed.
        let news = s
            .unread_counts(&["B".into(), "A".into()])
            .await
            .expect("unread");
        assert_eq!(news.len(), 1, "{news:?}");
        assert_eq!(
            (
                news[0].address.as_str(),
                news[0].unread,
                news[0].first_deemable_at
            ),
            ("B", 3, Some(102))
        );

        // Archive: out of the inbox into the archive and back; search narrows a folder.
        assert!(s.set_archived("B", "m3", Some(900)).await.expect("archive"));
        assert!(!s
            .set_archived("C", "m3", Some(900))
            .await
            .expect("no party"));
        let ids =
            |v: Vec<okienko_store::MessageSummary>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
        let all = ListFilter::default();
        assert_eq!(
            ids(s
                .list_messages("B", Folder::Inbox, &all, None, 10)
                .await
                .expect("inbox")),
            vec!["m4", "m2", "m1", "m0"]
        );
        assert_eq!(
            ids(s
                .list_messages("B", Folder::Archive, &all, None, 10)
                .await
                .expect("archive")),
            vec!["m3"]
        );
        assert!(s
            .set_archived("A", "m4", Some(901))
            .await
            .expect("archive sent"));
        let archived = s
            .list_messages("A", Folder::Archive, &all, None, 10)
            .await
            .expect("archive");
        assert_eq!(
            archived
                .iter()
                .map(|m| (m.id.as_str(), m.outgoing))
                .collect::<Vec<_>>(),
            vec![("m4", true)]
        );
        assert!(s.is_archived("B", "m3").await.expect("is"));
        assert!(!s.is_archived("B", "m2").await.expect("is not"));
        assert!(s.set_archived("B", "m3", None).await.expect("back"));
        let text = ListFilter {
            words: vec!["s2".into()],
            ..ListFilter::default()
        };
        assert_eq!(
            ids(s
                .list_messages("B", Folder::Inbox, &text, None, 10)
                .await
                .expect("search")),
            vec!["m2"]
        );
        // The sender finds it in its sent folder too.
        assert_eq!(
            ids(s
                .list_messages("A", Folder::Sent, &text, None, 10)
                .await
                .expect("search sent")),
            vec!["m2"]
        );
        // Messages stored before the search index are indexed by its migration.
        for sql in [
            "DROP TABLE search_words",
            "DROP TABLE search_items",
            "DELETE FROM schema_migrations WHERE version = 33",
        ] {
            sqlx::query(sql)
                .execute(s.raw_pool())
                .await
                .expect("undo 0033");
        }
        assert_eq!(s.migrate().await.expect("migrate"), vec![33]);
        assert_eq!(
            ids(s
                .list_messages("B", Folder::Inbox, &text, None, 10)
                .await
                .expect("search")),
            vec!["m2"]
        );
        let range = ListFilter {
            words: Vec::new(),
            reference: None,
            since: Some(101),
            until: Some(103),
        };
        assert_eq!(
            ids(s
                .list_messages("B", Folder::Inbox, &range, None, 10)
                .await
                .expect("range")),
            vec!["m2", "m1"]
        );
        // A reply joins the thread of what it answers.
        let reply = NewMessage {
            search_text: String::new(),
            message: Message {
                id: "r1".into(),
                sender: "B".into(),
                sender_user_id: None,
                subject: "Re: s1".into(),
                body: "b".into(),
                body_sha256: None,
                sent_at: 150,
                idempotency_key: None,
                reply_to: Some("m1".into()),
            },
            deliveries: vec![],
            attachments: vec![],
            evidence: vec![],
            letters: vec![],
            notify: vec![],
            submission: None,
        };
        s.insert_message(&reply).await.expect("reply");
        let thread = s.thread_of("r1").await.expect("thread");
        assert_eq!(
            thread.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            vec!["m1", "r1"]
        );
        assert_eq!(s.thread_of("m2").await.expect("alone").len(), 1);

        // Group commit with paper letters: one conflicting message fails alone.
        s.create_service_point(
            &ServicePoint {
                id: "p1".into(),
                name: "UP 1".into(),
                street: "Pocztowa 1".into(),
                postal_code: "00-001".into(),
                city: "X".into(),
                is_open: true,
                created_at: 1,
            },
            &ev("point.create"),
        )
        .await
        .expect("point");
        let letter = |id: &str, msg: &str| PaperLetter {
            id: id.into(),
            message_id: msg.into(),
            tracking_number: format!("T-{id}"),
            verification_code: "CODE".into(),
            recipient_name: "Jan".into(),
            street: "Długa 1".into(),
            postal_code: "00-950".into(),
            city: "Warszawa".into(),
            service_point_id: "p1".into(),
            batch_id: None,
            pages: 3,
            pdf_sha256: "ab".into(),
            created_at: 500,
            outcome: None,
            outcome_at: None,
            outcome_by: None,
        };
        let paper = |id: &str, key: &str| NewMessage {
            search_text: String::new(),
            message: Message {
                id: id.into(),
                sender: "A".into(),
                sender_user_id: None,
                subject: "paper".into(),
                body: "b".into(),
                body_sha256: None,
                sent_at: 500,
                idempotency_key: Some(key.into()),
                reply_to: None,
            },
            deliveries: vec![],
            attachments: vec![],
            evidence: vec![evr(&format!("acc-{id}"), id, "", "submission-acceptance")],
            letters: vec![letter(&format!("L{id}"), id)],
            notify: vec![],
            submission: None,
        };
        let results = s
            .insert_messages(
                &[],
                &[paper("p1", "pk1"), paper("p2", "k0"), paper("p3", "pk3")],
            )
            .await
            .expect("group commit");
        assert!(results[0].is_ok() && results[2].is_ok());
        assert!(matches!(results[1], Err(StoreError::Conflict(_))));
        assert!(s.message("p2").await.expect("read").is_none());
        assert!(s.evidence("acc-p2").await.expect("read").is_none());
        assert_eq!(s.waiting_letters("p1").await.expect("waiting").len(), 2);
        assert_eq!(
            s.paper_letter_by_tracking("T-Lp3")
                .await
                .expect("by tracking")
                .map(|l| l.message_id),
            Some("p3".into())
        );
        let batch = PrintBatch {
            id: "b1".into(),
            service_point_id: "p1".into(),
            status: BatchStatus::Closed,
            created_at: 600,
            created_by: "u1".into(),
            printed_at: None,
            printed_by: None,
            dispatched_at: None,
            dispatched_by: None,
            letters: 0,
            pages: 0,
        };
        assert_eq!(
            s.create_print_batch(&batch, &ev("paper.batch"))
                .await
                .expect("batch"),
            2
        );
        let empty = PrintBatch {
            id: "b2".into(),
            ..batch.clone()
        };
        assert_eq!(
            s.create_print_batch(&empty, &ev("paper.batch"))
                .await
                .expect("nothing waits"),
            0
        );
        assert!(s.print_batch("b2").await.expect("read").is_none());
        let b = s.print_batch("b1").await.expect("read").expect("made");
        assert_eq!((b.letters, b.pages, b.status.as_str()), (2, 6, "closed"));
        assert!(s.waiting_letters("p1").await.expect("waiting").is_empty());
        // No outcome before dispatch; dispatch only after printing; each once.
        let out = evr("out-1", "p1", "PAPER:T-Lp1", "paper-outcome");
        assert!(!s
            .set_letter_outcome("Lp1", "delivered", "u1", 700, &out, &ev("paper.outcome"))
            .await
            .expect("too early"));
        let disp = [evr("disp-1", "p1", "PAPER:T-Lp1", "paper-dispatch")];
        assert!(!s
            .advance_print_batch(
                "b1",
                BatchStatus::Printed,
                BatchStatus::Dispatched,
                "u1",
                650,
                &disp,
                &ev("paper.dispatch")
            )
            .await
            .expect("not printed yet"));
        assert!(s
            .advance_print_batch(
                "b1",
                BatchStatus::Closed,
                BatchStatus::Printed,
                "u1",
                640,
                &[],
                &ev("paper.print")
            )
            .await
            .expect("printed"));
        assert!(s
            .advance_print_batch(
                "b1",
                BatchStatus::Printed,
                BatchStatus::Dispatched,
                "u1",
                650,
                &disp,
                &ev("paper.dispatch")
            )
            .await
            .expect("dispatched"));
        assert!(s
            .set_letter_outcome("Lp1", "delivered", "u1", 700, &out, &ev("paper.outcome"))
            .await
            .expect("outcome"));
        let again = evr("out-2", "p1", "PAPER:T-Lp1", "paper-outcome");
        assert!(!s
            .set_letter_outcome(
                "Lp1",
                "returned-other",
                "u1",
                701,
                &again,
                &ev("paper.outcome")
            )
            .await
            .expect("once"));
        let l = s.paper_letter("Lp1").await.expect("read").expect("letter");
        assert_eq!(l.outcome.as_deref(), Some("delivered"));
        assert_eq!(s.print_batches("p1", 10).await.expect("list").len(), 1);
        assert_eq!(s.batch_letters("b1").await.expect("letters").len(), 2);
        assert_eq!(
            s.paper_letters_of_message("p1")
                .await
                .expect("of message")
                .len(),
            1
        );
        // The sender's list sees where each paper letter stands: its outcome once known.
        let sent = s.recipients_of(&["p1".into()]).await.expect("recipients");
        assert!(
            sent.iter()
                .any(|t| t.paper.as_deref() == Some("delivered") && t.opened_at.is_none()),
            "{sent:?}"
        );
        verify(s).await.expect("audit chain intact");
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn packed_blobs_are_indexed_with_their_batch_and_keep_their_first_place() {
    use okienko_store::{Message, PackedBlob};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let place = |sha: &str, pack: i64, offset: i64| PackedBlob {
            sha256: sha.into(),
            pack,
            offset,
            length: 10,
        };
        let message = |id: &str| NewMessage {
            search_text: String::new(),
            message: Message {
                id: id.into(),
                sender: "A".into(),
                sender_user_id: None,
                subject: "s".into(),
                body: String::new(),
                body_sha256: None,
                sent_at: 1,
                idempotency_key: Some("same".into()),
                reply_to: None,
            },
            deliveries: vec![],
            attachments: vec![],
            evidence: vec![],
            letters: vec![],
            notify: vec![],
            submission: None,
        };
        let mailbox = okienko_store::Mailbox {
            address: "A".into(),
            kind: "public_body".into(),
            name: "A".into(),
            owner_user_id: None,
            office_id: None,
            pesel: None,
            nip: None,
            city: String::new(),
            created_at: 1,
        };
        s.create_mailbox(&mailbox, &[], &ev("mailbox.create"))
            .await
            .expect("mailbox");
        // The second message conflicts (same idempotency key); the places still count.
        let results = s
            .insert_messages(
                &[place("aa", 1, 44), place("bb", 1, 98)],
                &[message("m1"), message("m2")],
            )
            .await
            .expect("batch");
        assert!(results[0].is_ok());
        assert!(matches!(results[1], Err(StoreError::Conflict(_))));
        assert_eq!(
            s.packed_blob("aa").await.expect("read"),
            Some(place("aa", 1, 44))
        );
        // Packed again later: the first place stays.
        s.insert_messages(&[place("aa", 2, 44)], &[])
            .await
            .expect("again");
        assert_eq!(
            s.packed_blob("aa").await.expect("read"),
            Some(place("aa", 1, 44))
        );
        assert_eq!(s.packed_blob("cc").await.expect("read"), None);
        let mut known = s
            .packed_among(&["cc".into(), "bb".into(), "aa".into()])
            .await
            .expect("among");
        known.sort();
        assert_eq!(known, vec!["aa".to_string(), "bb".to_string()]);
        assert!(s.packed_among(&[]).await.expect("none").is_empty());
        // Listed in pages, in the order of their hashes.
        assert_eq!(
            s.packed_blobs_after("", 1).await.expect("page"),
            vec![place("aa", 1, 44)]
        );
        assert_eq!(
            s.packed_blobs_after("aa", 10).await.expect("page"),
            vec![place("bb", 1, 98)]
        );
        assert!(s
            .packed_blobs_after("bb", 10)
            .await
            .expect("page")
            .is_empty());
        // What lives outside the packs: a referenced blob that is not packed.
        let mut m3 = message("m3");
        m3.message.idempotency_key = Some("other".into());
        m3.message.body_sha256 = Some("ee".into());
        m3.attachments = ["aa", "dd"]
            .iter()
            .enumerate()
            .map(|(n, sha)| okienko_store::Attachment {
                message_id: "m3".into(),
                n: n as i64,
                name: format!("{n}.pdf"),
                size: 10,
                sha256: (*sha).into(),
                media_type: "application/pdf".into(),
            })
            .collect();
        s.insert_message(&m3).await.expect("m3");
        assert_eq!(
            s.unpacked_blobs_after("", 10).await.expect("page"),
            vec!["dd".to_string(), "ee".to_string()]
        );
        assert_eq!(
            s.unpacked_blobs_after("dd", 1).await.expect("page"),
            vec!["ee".to_string()]
        );
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn trusted_profile_applications_are_decided_once() {
    use okienko_store::{TpApplication, TrustedProfile};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        s.create_user(&user("c1", "c@x.pl"), &[], &ev("user.create"))
            .await
            .expect("citizen");
        s.create_user(&user("k1", "k@x.pl"), &[], &ev("user.create"))
            .await
            .expect("clerk");
        let app = |number: &str| TpApplication {
            number: number.into(),
            user_id: "c1".into(),
            pesel: "44051401359".into(),
            first_name: "Jan".into(),
            last_name: "Kowalski".into(),
            id_document: "ABA300000".into(),
            email: "c@x.pl".into(),
            phone: "+48 600 000 000".into(),
            created_at: 1_000,
            expires_at: 2_000,
            status: ApplicationStatus::Pending,
            decided_at: None,
            decided_by: None,
            service_point_id: None,
            reason: None,
        };
        s.create_tp_application(&app("A1"), &ev("tp.apply"))
            .await
            .expect("apply");
        s.create_tp_application(&app("A2"), &ev("tp.apply"))
            .await
            .expect("apply again");
        assert!(matches!(
            s.create_tp_application(&app("A1"), &ev("tp.apply")).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.tp_applications_of("c1").await.expect("of").len(), 2);
        let profile = TrustedProfile {
            user_id: "c1".into(),
            pesel: "44051401359".into(),
            first_name: "Jan".into(),
            last_name: "Kowalski".into(),
            valid_from: 1_500,
            valid_until: 9_000,
            confirmed_by: "k1".into(),
            service_point_id: None,
            application: "A1".into(),
            revoked_at: None,
        };
        assert!(s
            .decide_tp_application(
                &TpDecision {
                    number: "A1",
                    by: "k1",
                    at: 1_500,
                    service_point_id: None,
                    outcome: TpOutcome::Confirmed(&profile)
                },
                &ev("tp.confirm")
            )
            .await
            .expect("confirm"));
        assert!(!s
            .decide_tp_application(
                &TpDecision {
                    number: "A1",
                    by: "k1",
                    at: 1_600,
                    service_point_id: None,
                    outcome: TpOutcome::Refused("x")
                },
                &ev("tp.refuse")
            )
            .await
            .expect("second decision"));
        assert_eq!(
            s.trusted_profile("c1").await.expect("tp"),
            Some(profile.clone())
        );
        assert_eq!(
            s.tp_application("A1").await.expect("a").map(|a| a.status),
            Some(ApplicationStatus::Confirmed)
        );
        assert_eq!(
            s.trusted_profile_by_pesel("44051401359")
                .await
                .expect("by pesel")
                .map(|p| p.user_id),
            Some("c1".into())
        );
        // One PESEL, one person: another account's profile for the same PESEL is refused by
        // the database, and the application stays pending.
        s.create_user(&user("c2", "m@x.pl"), &[], &ev("user.create"))
            .await
            .expect("second citizen");
        let mut other = app("M1");
        other.user_id = "c2".into();
        s.create_tp_application(&other, &ev("tp.apply"))
            .await
            .expect("apply with the same PESEL");
        let stolen = TrustedProfile {
            user_id: "c2".into(),
            application: "M1".into(),
            ..profile.clone()
        };
        assert!(matches!(
            s.decide_tp_application(
                &TpDecision {
                    number: "M1",
                    by: "k1",
                    at: 1_600,
                    service_point_id: None,
                    outcome: TpOutcome::Confirmed(&stolen)
                },
                &ev("tp.confirm")
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            s.tp_application("M1").await.expect("a").map(|a| a.status),
            Some(ApplicationStatus::Pending)
        );
        assert_eq!(s.trusted_profile("c2").await.expect("tp"), None);
        s.create_service_point(
            &ServicePoint {
                id: "p1".into(),
                name: "UP".into(),
                street: "x".into(),
                postal_code: "00-001".into(),
                city: "X".into(),
                is_open: true,
                created_at: 1,
            },
            &ev("point.create"),
        )
        .await
        .expect("point");
        let visit = okienko_store::CounterVisit {
            id: "v1".into(),
            service_point_id: "p1".into(),
            clerk_id: "k1".into(),
            citizen_id: "c1".into(),
            consent_at: 1_700,
            started_at: 1_700,
            ended_at: None,
        };
        s.create_visit(&visit, &ev("visit.start"))
            .await
            .expect("visit");
        let receipt = |id: &str, number: i64, amount: i64, at: i64| okienko_store::CashReceipt {
            id: id.into(),
            service_point_id: "p1".into(),
            number,
            visit_id: Some("v1".into()),
            clerk_id: "k1".into(),
            citizen_id: Some("c1".into()),
            payer_name: None,
            amount,
            title: "opłata".into(),
            paid_at: at,
            document: "{}".into(),
            signed_b64: String::new(),
            log_index: 0,
            payee_office_id: None,
            void: None,
        };
        assert_eq!(s.next_receipt_number("p1").await.expect("n"), 1);
        s.insert_receipt(&receipt("r1", 1, 1250, 1_750), &ev("cash.receipt"))
            .await
            .expect("r1");
        assert!(matches!(
            s.insert_receipt(&receipt("r1b", 1, 100, 1_751), &ev("cash.receipt"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.next_receipt_number("p1").await.expect("n"), 2);
        s.insert_receipt(&receipt("r2", 2, 5000, 1_760), &ev("cash.receipt"))
            .await
            .expect("r2");
        // A walk-in payment: no visit, no account, the payer by name.
        let walk_in = okienko_store::CashReceipt {
            visit_id: None,
            citizen_id: None,
            payer_name: Some("Jan Przechodzień".into()),
            ..receipt("rw", 1_000, 700, 1_765)
        };
        s.insert_receipt(&walk_in, &ev("cash.receipt"))
            .await
            .expect("walk-in");
        let back = s.receipt("rw").await.expect("read").expect("rw");
        assert_eq!(
            (back.visit_id, back.citizen_id, back.payer_name.as_deref()),
            (None, None, Some("Jan Przechodzień"))
        );
        // Asked at once over many connections, as two instances would: each number once.
        let asks: Vec<_> = (0..24)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.next_receipt_number("p1").await })
            })
            .collect();
        let mut got = Vec::new();
        for a in asks {
            got.push(a.await.expect("join").expect("number"));
        }
        got.sort_unstable();
        assert_eq!(got, (3..27).collect::<Vec<i64>>());
        let day = s.receipts_between("p1", 1_700, 1_800).await.expect("day");
        let counter = s
            .counter_day("p1", 1_000, 2_000)
            .await
            .expect("counter day");
        assert_eq!((counter.visits, counter.prints), (1, 0));
        assert_eq!(day.iter().map(|r| r.amount).sum::<i64>(), 6950);
        assert_eq!(
            s.receipt("r2").await.expect("read").map(|r| r.number),
            Some(2)
        );
        // A void is a signed record: stored with its leaf in one commit, once per receipt; a
        // second void fails its whole commit, leaf and all.
        let void = |id: &str| {
            okienko_store::SignedRecord::ReceiptVoid(okienko_store::ReceiptVoid {
                id: id.into(),
                receipt_id: "r2".into(),
                clerk_id: "k1".into(),
                reason: "pomyłka".into(),
                voided_at: 1_770,
                document: "{}".into(),
                signed_b64: String::new(),
                log_index: -1,
            })
        };
        let size = s.log_leaf_hashes(0).await.expect("log").len() as i64;
        let mut v1 = void("rv1");
        v1.set_log_index(size);
        s.append_log_and_messages(
            size,
            &[("aa".repeat(32), "dm9pZA==".into())],
            1_770,
            &[],
            &[],
            &[(v1, ev("cash.void"))],
        )
        .await
        .expect("void");
        assert!(s
            .append_log_and_messages(
                size + 1,
                &[("bb".repeat(32), "dm9pZA==".into())],
                1_771,
                &[],
                &[],
                &[(void("rv2"), ev("cash.void"))]
            )
            .await
            .is_err());
        assert_eq!(
            s.log_leaf_hashes(0).await.expect("log").len() as i64,
            size + 1
        );
        let r2 = s.receipt("r2").await.expect("read").expect("r2");
        assert_eq!(
            r2.void.map(|v| (v.id, v.log_index)),
            Some(("rv1".to_string(), size))
        );
        assert!(s
            .end_visit("v1", 1_800, &ev("visit.end"))
            .await
            .expect("end"));
        assert!(!s
            .end_visit("v1", 1_900, &ev("visit.end"))
            .await
            .expect("again"));
        assert_eq!(
            s.visit("v1").await.expect("read").and_then(|v| v.ended_at),
            Some(1_800)
        );
        // The clerk's list: an open visit before an ended one, with the citizen's name;
        // another clerk's list does not hold them.
        let open = okienko_store::CounterVisit {
            id: "v2".into(),
            started_at: 1_850,
            consent_at: 1_850,
            ended_at: None,
            ..visit.clone()
        };
        s.create_visit(&open, &ev("visit.start"))
            .await
            .expect("visit 2");
        let list = s.clerk_visits("k1", "p1", 10).await.expect("list");
        assert_eq!(
            list.iter()
                .map(|(v, name)| (v.id.as_str(), name.as_str()))
                .collect::<Vec<_>>(),
            [("v2", "User c1"), ("v1", "User c1")]
        );
        assert!(s
            .clerk_visits("c1", "p1", 10)
            .await
            .expect("none")
            .is_empty());
        assert_eq!(
            s.visit_receipts("v1")
                .await
                .expect("receipts")
                .iter()
                .map(|r| r.number)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(s.visit_receipts("v2").await.expect("none").is_empty());
        assert!(s
            .revoke_trusted_profile("c1", 3_000, &ev("tp.revoke"))
            .await
            .expect("revoke"));
        assert!(!s
            .revoke_trusted_profile("c1", 3_001, &ev("tp.revoke"))
            .await
            .expect("again"));
        assert_eq!(
            s.trusted_profile("c1")
                .await
                .expect("tp")
                .and_then(|p| p.revoked_at),
            Some(3_000)
        );
        // The address for letters: kept, replaced, forgotten, each audited.
        assert_eq!(s.profile_address("c1").await.expect("none"), None);
        for (a, at) in [
            (Some("{\"city\":\"Kraków\"}"), 3_100),
            (Some("{\"city\":\"Łódź\"}"), 3_200),
        ] {
            s.set_profile_address("c1", a, at, &ev("profile.address"))
                .await
                .expect("kept");
        }
        assert_eq!(
            s.profile_address("c1").await.expect("one").as_deref(),
            Some("{\"city\":\"Łódź\"}")
        );
        s.set_profile_address("c1", None, 3_300, &ev("profile.address"))
            .await
            .expect("forgotten");
        assert_eq!(s.profile_address("c1").await.expect("gone"), None);
        verify(s).await.expect("audit chain intact");
    }
    drop_all(stores).await;
}

/// Polls futures together in this task (the store is borrowed, so they cannot be spawned).
async fn futures_join_all<F: std::future::Future>(
    fs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    use std::task::Poll;
    let mut fs: Vec<_> = fs.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut out: Vec<Option<F::Output>> = fs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in fs.iter_mut().enumerate() {
            if let Some(fut) = f {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        out[i] = Some(v);
                        *f = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[tokio::test]
async fn notices_count_up_in_the_message_commit_and_go_once_per_interval() {
    use okienko_domain::notices::INTERVAL_MS;
    use okienko_store::notices::SentNotice;
    use okienko_store::Message;
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        s.create_user(&user("u1", "u1@example.com"), &[], &ev("user.create"))
            .await
            .expect("user");
        let message = |id: &str, at: i64| NewMessage {
            search_text: String::new(),
            message: Message {
                id: id.into(),
                sender: "A".into(),
                sender_user_id: None,
                subject: "s".into(),
                body: String::new(),
                body_sha256: None,
                sent_at: at,
                idempotency_key: None,
                reply_to: None,
            },
            deliveries: vec![],
            attachments: vec![],
            evidence: vec![],
            letters: vec![],
            notify: vec!["u1".into()],
            submission: None,
        };
        let mailbox = okienko_store::Mailbox {
            address: "A".into(),
            kind: "public_body".into(),
            name: "A".into(),
            owner_user_id: None,
            office_id: None,
            pesel: None,
            nip: None,
            city: String::new(),
            created_at: 1,
        };
        s.create_mailbox(&mailbox, &[], &ev("mailbox.create"))
            .await
            .expect("mailbox");
        // Two messages in one commit (one row, counted twice) and a third on its own.
        for r in s
            .insert_messages(&[], &[message("m1", 1_000), message("m2", 1_000)])
            .await
            .expect("batch")
        {
            r.expect("stored");
        }
        s.insert_message(&message("m3", 1_000)).await.expect("m3");
        // Due at once; two workers claim it concurrently and only one gets it.
        let (a, b) = tokio::join!(
            s.claim_notices(1_000, 60_000, 10),
            s.claim_notices(1_000, 60_000, 10)
        );
        let mut got: Vec<_> = a.expect("a").into_iter().chain(b.expect("b")).collect();
        assert_eq!(got.len(), 1);
        let due = got.remove(0);
        assert_eq!((due.user_id.as_str(), due.pending), ("u1", 3));
        // A message arriving while the notice is out stays pending for the next one.
        s.insert_message(&message("m4", 1_500)).await.expect("m4");
        s.finish_notices(
            &[SentNotice {
                user_id: "u1".into(),
                told: 3,
                email_payload: Some("{}".into()),
            }],
            "email",
            2_000,
        )
        .await
        .expect("finish");
        assert_eq!(s.job_counts().await.expect("jobs").pending, 1);
        assert_eq!(
            s.notice_state("u1").await.expect("state"),
            Some((1, 2_000 + INTERVAL_MS, Some(2_000)))
        );
        // Nothing more until the interval is over, however many arrive.
        s.insert_message(&message("m5", 3_000)).await.expect("m5");
        assert!(s
            .claim_notices(2_000 + INTERVAL_MS - 1, 60_000, 10)
            .await
            .expect("early")
            .is_empty());
        let due = s
            .claim_notices(2_000 + INTERVAL_MS, 60_000, 10)
            .await
            .expect("due");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].pending, 2);
        // A claim that is never finished (a crash) is taken again when its lease is over.
        assert!(s
            .claim_notices(2_000 + INTERVAL_MS + 59_999, 60_000, 10)
            .await
            .expect("leased")
            .is_empty());
        assert_eq!(
            s.claim_notices(2_000 + INTERVAL_MS + 60_000, 60_000, 10)
                .await
                .expect("again")
                .len(),
            1
        );
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn the_catalogue_is_searched_by_folded_words_filtered_and_paged() {
    use okienko_store::{PublicService, ServiceQuery};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        for (id, city, nip) in [
            ("o1", "Przykładowo", "5260001246"),
            ("o2", "Dobrzyca", "7770000005"),
        ] {
            let office = Office {
                id: id.into(),
                name: format!("Urząd {id}"),
                nip: nip.into(),
                regon: "123456785".into(),
                street: "Rynek 1".into(),
                postal_code: "00-001".into(),
                city: city.into(),
                created_at: 1,
            };
            s.create_office(&office, &ev("office.create"))
                .await
                .expect("office");
        }
        let service = |id: &str, office: &str, code: &str, name: &str, cats: &str| PublicService {
            id: id.into(),
            office_id: office.into(),
            code: code.into(),
            name_folded: name.into(),
            spec: "{}".into(),
            search: format!("{name} 100 done"),
            tags: cats.into(),
            created_at: 5,
            updated_at: 5,
            form_version: None,
        };
        s.save_services(
            &[
                service(
                    "s1",
                    "o1",
                    "A",
                    "zaswiadczenie o zameldowaniu",
                    ";residence;",
                ),
                service(
                    "s2",
                    "o1",
                    "B",
                    "rejestracja psa",
                    ";animals;event:getting-a-pet;",
                ),
                service("s3", "o2", "A", "zaswiadczenie o niezaleganiu", ";taxes;"),
            ],
            &ev("catalogue.import"),
        )
        .await
        .expect("save");
        let ids = |v: Vec<PublicService>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
        let q = |words: &[&str]| ServiceQuery {
            words: words.iter().map(|w| w.to_string()).collect(),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            ids(s.search_services(&q(&["zaswiad"])).await.expect("q")),
            ["s3", "s1"]
        );
        assert_eq!(
            ids(s
                .search_services(&q(&["zaswiad", "zamel"]))
                .await
                .expect("q")),
            ["s1"]
        );
        // A word is found by its beginning ("100" of "100%_done"); wildcards are plain
        // characters, and the middle of a word is not a beginning.
        assert_eq!(
            ids(s.search_services(&q(&["10"])).await.expect("q")).len(),
            3
        );
        assert!(s.search_services(&q(&["0%_"])).await.expect("q").is_empty());
        assert!(s
            .search_services(&q(&["meldowaniu"]))
            .await
            .expect("q")
            .is_empty());
        assert!(s
            .search_services(&q(&["%psa"]))
            .await
            .expect("q")
            .is_empty());
        let mut by_city = q(&[]);
        by_city.city = Some("dobrzyca".into());
        assert_eq!(ids(s.search_services(&by_city).await.expect("q")), ["s3"]);
        let mut by_office = q(&[]);
        by_office.office_id = Some("o1".into());
        by_office.category = Some("animals".into());
        assert_eq!(ids(s.search_services(&by_office).await.expect("q")), ["s2"]);
        let mut by_event = q(&[]);
        by_event.event = Some("getting-a-pet".into());
        assert_eq!(ids(s.search_services(&by_event).await.expect("q")), ["s2"]);
        // Pages after a (name, id) key.
        let mut page = q(&[]);
        page.limit = 2;
        let first = s.search_services(&page).await.expect("q");
        assert_eq!(ids(first.clone()), ["s2", "s3"]);
        let last = first.last().expect("last");
        page.after = Some((last.name_folded.clone(), last.id.clone()));
        assert_eq!(ids(s.search_services(&page).await.expect("q")), ["s1"]);
        // Saved again under the same code: replaced, its id and creation time kept.
        let mut again = service("s9", "o1", "B", "rejestracja psa i kota", ";animals;");
        again.updated_at = 9;
        s.save_services(&[again], &ev("catalogue.import"))
            .await
            .expect("again");
        let s2 = s.public_service("s2").await.expect("read").expect("there");
        assert_eq!(
            (s2.name_folded.as_str(), s2.created_at, s2.updated_at),
            ("rejestracja psa i kota", 5, 9)
        );
        assert!(s.public_service("s9").await.expect("read").is_none());
        assert_eq!(ids(s.office_services("o2").await.expect("list")), ["s3"]);
        verify(s).await.expect("audit chain intact");
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn form_versions_drafts_and_submissions_with_their_message() {
    use okienko_store::{Draft, FormVersion, Message, NewSubmission, PublicService, Submission};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let office = Office {
            id: "o1".into(),
            name: "Urząd".into(),
            nip: "5260001246".into(),
            regon: "123456785".into(),
            street: "Rynek 1".into(),
            postal_code: "00-001".into(),
            city: "Przykładowo".into(),
            created_at: 1,
        };
        s.create_office(&office, &ev("office.create"))
            .await
            .expect("office");
        s.save_services(
            &[PublicService {
                id: "s1".into(),
                office_id: "o1".into(),
                code: "PIES-1".into(),
                name_folded: "rejestracja psa".into(),
                spec: "{}".into(),
                search: "rejestracja psa".into(),
                tags: ";".into(),
                created_at: 1,
                updated_at: 1,
                form_version: None,
            }],
            &ev("catalogue.import"),
        )
        .await
        .expect("service");
        let version = |v: &str| FormVersion {
            service_id: "s1".into(),
            version: v.into(),
            n: 0,
            definition: "{}".into(),
            published_at: 2,
            published_by: None,
        };
        // Numbered by the database, one after another; the same version twice is refused.
        assert_eq!(
            s.publish_form(&version("v1"), &ev("form.publish"))
                .await
                .expect("v1")
                .n,
            1
        );
        assert_eq!(
            s.publish_form(&version("v2"), &ev("form.publish"))
                .await
                .expect("v2")
                .n,
            2
        );
        assert!(s
            .publish_form(&version("v1"), &ev("form.publish"))
            .await
            .is_err());
        let list: Vec<i64> = s
            .form_versions("s1")
            .await
            .expect("list")
            .iter()
            .map(|v| v.n)
            .collect();
        assert_eq!(list, [2, 1]);
        assert!(s.form_version("s1", "v1").await.expect("one").is_some());
        let mut d = Draft {
            id: "d1".into(),
            user_id: "u1".into(),
            service_id: "s1".into(),
            version: "v1".into(),
            answers: "{}".into(),
            step: 0,
            created_at: 3,
            updated_at: 3,
            expires_at: 100,
            reminded_at: None,
        };
        s.save_draft(&d).await.expect("draft");
        d.answers = r#"{"name":"Jan"}"#.into();
        d.step = 1;
        s.save_draft(&d).await.expect("again");
        assert_eq!(s.draft("d1").await.expect("read"), Some(d.clone()));
        assert_eq!(s.drafts_of("u1").await.expect("list").len(), 1);
        assert!(!s
            .delete_draft("d1", "someone else")
            .await
            .expect("not theirs"));
        s.create_mailbox(
            &okienko_store::Mailbox {
                address: "A".into(),
                kind: "person".into(),
                name: "A".into(),
                owner_user_id: None,
                office_id: None,
                pesel: None,
                nip: None,
                city: String::new(),
                created_at: 1,
            },
            &[],
            &ev("mailbox.create"),
        )
        .await
        .expect("mailbox");
        // The submission is stored with its message, and its draft goes in the same commit.
        let sub = Submission {
            message_id: "m1".into(),
            reference: "W-0000-0000-0001".into(),
            service_id: "s1".into(),
            office_id: "o1".into(),
            user_id: Some("u1".into()),
            version: "v1".into(),
            answers: "{}".into(),
            status: "submitted".into(),
            fee: 0,
            upp_id: "EV-1".into(),
            submitted_at: 5,
            updated_at: 5,
            updated_by: None,
            department: Some("OR".into()),
        };
        s.insert_message(&NewMessage {
            search_text: String::new(),
            message: Message {
                id: "m1".into(),
                sender: "A".into(),
                sender_user_id: None,
                subject: "s".into(),
                body: String::new(),
                body_sha256: None,
                sent_at: 5,
                idempotency_key: None,
                reply_to: None,
            },
            deliveries: vec![],
            attachments: vec![],
            evidence: vec![],
            letters: vec![],
            notify: vec![],
            submission: Some(NewSubmission {
                row: sub.clone(),
                draft_id: Some("d1".into()),
            }),
        })
        .await
        .expect("message");
        assert!(s.draft("d1").await.expect("read").is_none());
        assert_eq!(
            s.submission("W-0000-0000-0001").await.expect("read"),
            Some(sub.clone())
        );
        assert_eq!(
            s.submission_of_message("m1").await.expect("read"),
            Some(sub.clone())
        );
        assert_eq!(s.submissions_of("u1", 10).await.expect("mine").len(), 1);
        assert_eq!(
            s.office_submissions("o1", Some("s1"), Some("submitted"), None, 10)
                .await
                .expect("inbox")
                .len(),
            1
        );
        assert!(s
            .office_submissions("o1", None, Some("closed"), None, 10)
            .await
            .expect("inbox")
            .is_empty());
        // A department sees its own.
        for (dept, n) in [("OR", 1), ("GK", 0)] {
            let got = s
                .office_submissions("o1", None, None, Some(dept), 10)
                .await
                .expect("department");
            assert_eq!(got.len(), n, "{dept}");
        }
        // A move from a status it is no longer in changes nothing.
        assert!(s
            .set_submission_status(
                "m1",
                "submitted",
                "registered",
                6,
                "off",
                &ev("submission.status")
            )
            .await
            .expect("move"));
        assert!(!s
            .set_submission_status(
                "m1",
                "submitted",
                "closed",
                7,
                "off",
                &ev("submission.status")
            )
            .await
            .expect("stale"));
        let now = s
            .submission("W-0000-0000-0001")
            .await
            .expect("read")
            .expect("there");
        assert_eq!(
            (now.status.as_str(), now.updated_by.as_deref()),
            ("registered", Some("off"))
        );
        // Payments keep how they were made; the provider's reconciliation sees only online.
        for (id, channel) in [("OK-1", "online"), ("RC-1", "cash")] {
            let pay = okienko_store::Payment {
                session_id: id.into(),
                message_id: "m1".into(),
                office_id: "o1".into(),
                user_id: Some("u1".into()),
                amount: 1_700,
                currency: "PLN".into(),
                status: "paid".into(),
                token: String::new(),
                order_id: Some(id.into()),
                created_at: 8,
                paid_at: Some(8),
                channel: channel.into(),
            };
            s.create_payment(&pay, &ev("payment.start"))
                .await
                .expect("payment");
            assert_eq!(s.payment(id).await.expect("read"), Some(pay));
        }
        let online = s.paid_payments("o1", 0, 100).await.expect("online");
        assert_eq!(
            online
                .iter()
                .map(|p| p.session_id.as_str())
                .collect::<Vec<_>>(),
            ["OK-1"]
        );
        assert_eq!(s.payments_of_message("m1").await.expect("all").len(), 2);
        verify(s).await.expect("audit chain intact");
    }
    drop_all(stores).await;
}

#[tokio::test]
async fn cases_are_numbered_without_gaps_or_twins_when_opened_at_once() {
    use okienko_domain::cases::{parse_jrwa_csv, Category};
    use okienko_store::{Case, CaseEvent, CaseQuery, NewCase, RegisterEntry};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let office = Office {
            id: "o1".into(),
            name: "Urząd".into(),
            nip: "5260001246".into(),
            regon: "123456785".into(),
            street: "Rynek 1".into(),
            postal_code: "00-001".into(),
            city: "Przykładowo".into(),
            created_at: 1,
        };
        s.create_office(&office, &ev("office.create"))
            .await
            .expect("office");
        for (id, code) in [("d1", "OR"), ("d2", "GK")] {
            let d = Department {
                id: id.into(),
                office_id: "o1".into(),
                code: code.into(),
                name: code.into(),
            };
            s.create_department(&d, &ev("department.create"))
                .await
                .expect("dept");
        }
        s.create_user(&user("u1", "u1@example.pl"), &[], &ev("user.create"))
            .await
            .expect("user");
        let list = parse_jrwa_csv("6,G,\n62,D,\n622,Z,\n6220,Zajęcie pasa,B5\n6221,Inne,A\n")
            .expect("jrwa");
        s.replace_jrwa("o1", &list, &ev("jrwa.import"))
            .await
            .expect("jrwa");
        let back = s.jrwa("o1").await.expect("read");
        assert_eq!(back.len(), 5);
        assert_eq!(back[3].category, Some(Category::B(5)));
        // A register entry, numbered per office and year.
        let entry = |id: &str| RegisterEntry {
            id: id.into(),
            office_id: "o1".into(),
            year: 2026,
            number: 0,
            direction: "in".into(),
            kind: "submission".into(),
            subject: "Wniosek".into(),
            correspondent: "Jan Kowalski".into(),
            received_at: 5,
            submission_id: Some(format!("m-{id}")),
            message_id: None,
            department_id: Some("d1".into()),
            case_id: None,
            created_by: "u1".into(),
            created_at: 5,
        };
        let e1 = s
            .add_register_entry(&entry("e1"), &ev("register.add"))
            .await
            .expect("entry");
        let e2 = s
            .add_register_entry(&entry("e2"), &ev("register.add"))
            .await
            .expect("entry");
        assert_eq!((e1.number, e2.number), (1, 2));
        assert!(matches!(
            s.add_register_entry(
                &RegisterEntry {
                    id: "e3".into(),
                    ..entry("e1")
                },
                &ev("register.add")
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        scanned_letter(s, &entry("e4")).await;
        // Forty cases of two departments opened at once: each department's class numbers
        // 1..=20, no gap, no twin.
        let case = |i: usize| Case {
            id: format!("c{i:02}"),
            office_id: "o1".into(),
            department_id: if i.is_multiple_of(2) { "d1" } else { "d2" }.into(),
            jrwa: "6220".into(),
            number: 0,
            year: 2026,
            signature: String::new(),
            title: format!("Sprawa {i}"),
            party_user_id: None,
            party_name: String::new(),
            handler_id: None,
            status: "open".into(),
            term: "month".into(),
            started_on: "2026-03-10".into(),
            excluded_days: 0,
            extended_days: 0,
            suspended_on: None,
            deadline: format!("2026-04-{:02}", 10 + i % 15),
            register_entry_id: (i == 0).then(|| "e1".to_string()),
            created_by: "u1".into(),
            created_at: 10,
            closed_at: None,
        };
        let event = |i: usize| CaseEvent {
            id: format!("ev{i:02}"),
            case_id: format!("c{i:02}"),
            at: 10,
            actor_id: "u1".into(),
            actor_name: String::new(),
            kind: "opened".into(),
            detail: String::new(),
        };
        let new = |c: Case, e: CaseEvent| NewCase {
            unit: if c.department_id == "d1" { "OR" } else { "GK" }.into(),
            case: c,
            event: e,
            audit: ev("case.open"),
        };
        // Thirty opened one per commit at once, ten more in one commit.
        let singles: Vec<NewCase> = (0..30).map(|i| new(case(i), event(i))).collect();
        let batch: Vec<NewCase> = (30..40).map(|i| new(case(i), event(i))).collect();
        let mut opened: Vec<Case> = futures_join_all(
            singles
                .iter()
                .map(|n| s.open_cases(std::slice::from_ref(n))),
        )
        .await
        .into_iter()
        .flat_map(|r| r.expect("opened"))
        .collect();
        opened.extend(s.open_cases(&batch).await.expect("a batch"));
        for d in ["d1", "d2"] {
            let mut numbers: Vec<i64> = opened
                .iter()
                .filter(|c| c.department_id == d)
                .map(|c| c.number)
                .collect();
            numbers.sort();
            assert_eq!(numbers, (1..=20).collect::<Vec<_>>(), "{d}");
        }
        let first = s.case("c00").await.expect("read").expect("case");
        assert_eq!(
            first.signature,
            format!("OR.6220.{}.2026", first.number),
            "{}",
            first.signature
        );
        numbering_holds_for_any_mix(s, &case(1), &event(1)).await;
        let linked = s.register_entry("e1").await.expect("read").expect("entry");
        assert_eq!(linked.case_id.as_deref(), Some("c00"));
        // A second case from the same entry is refused with the whole commit: its batch
        // mate takes no number either.
        let again = new(
            Case {
                id: "c99".into(),
                ..case(0)
            },
            CaseEvent {
                id: "ev99".into(),
                case_id: "c99".into(),
                ..event(0)
            },
        );
        let mate = new(
            Case {
                id: "c97".into(),
                register_entry_id: None,
                ..case(0)
            },
            CaseEvent {
                id: "ev97".into(),
                case_id: "c97".into(),
                ..event(0)
            },
        );
        assert!(matches!(
            s.open_cases(&[mate, again]).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(s.case("c97").await.expect("read").is_none());
        let next = s
            .open_cases(&[new(
                Case {
                    id: "c98".into(),
                    register_entry_id: None,
                    ..case(0)
                },
                CaseEvent {
                    id: "ev98".into(),
                    case_id: "c98".into(),
                    ..event(0)
                },
            )])
            .await
            .expect("next")
            .remove(0);
        assert_eq!(next.number, 21, "the refused case gave its number back");
        // A department's work list: by deadline then id, paged by a cursor, one query.
        let q = |after| CaseQuery {
            department_ids: vec!["d1".into()],
            statuses: vec!["open".into(), "suspended".into()],
            handler_ids: Vec::new(),
            after,
            limit: 15,
        };
        let page1 = s.cases(&q(None)).await.expect("page");
        let last = page1.last().expect("last");
        let page2 = s
            .cases(&q(Some((last.deadline.clone(), last.id.clone()))))
            .await
            .expect("page 2");
        let all: Vec<_> = page1.iter().chain(&page2).collect();
        assert_eq!(all.len(), 21);
        assert!(all
            .windows(2)
            .all(|w| (&w[0].deadline, &w[0].id) < (&w[1].deadline, &w[1].id)));
        // A change applies only from the status it was made from.
        let mut suspended = first.clone();
        suspended.status = "suspended".into();
        suspended.suspended_on = Some("2026-03-12".into());
        let e = CaseEvent {
            id: "ev-s".into(),
            ..event(0)
        };
        assert!(s
            .update_case(&suspended, "open", &e, &ev("case.suspend"), None)
            .await
            .expect("suspend"));
        let e = CaseEvent {
            id: "ev-s2".into(),
            ..event(0)
        };
        assert!(!s
            .update_case(&suspended, "open", &e, &ev("case.suspend"), None)
            .await
            .expect("stale"));
        let timeline = s.case_events("c00").await.expect("events");
        assert_eq!(timeline.len(), 2);
        assert_eq!(timeline[0].actor_name, "User u1");
        // The list cannot drop a class a case is in.
        let smaller = parse_jrwa_csv("6,G,\n62,D,\n622,Z,\n6221,Inne,A\n").expect("jrwa");
        assert!(matches!(
            s.replace_jrwa("o1", &smaller, &ev("jrwa.import")).await,
            Err(StoreError::Conflict(c)) if c == "6220"
        ));
        assert_eq!(s.jrwa("o1").await.expect("read").len(), 5);
        decisions_in_a_case(s, &event(0)).await;
        documents_in_a_case(s, &event(0)).await;
        search_in_a_case(s, &first).await;
        places_of_cases(s, &event(0)).await;
        destruction_lists_of_closed_cases(s, &event(0)).await;
        substitutes_and_tasks(s, &first, &event(0)).await;
        library_of_departments(s).await;
        assert!(verify(s).await.is_ok());
    }
    drop_all(stores).await;
}

/// Substitutes: one per absent person on a day (an overlap is refused), found by the day
/// they cover, cancelled once. Tasks: stored with the case's event, closed once, a person's
/// open ones by due day with those without one last.
async fn substitutes_and_tasks(
    s: &SqlStore,
    case: &okienko_store::Case,
    event: &okienko_store::CaseEvent,
) {
    use okienko_store::{CaseEvent, Substitute, Task, TaskChange, TaskComment};
    s.create_user(&user("u7", "u7@example.pl"), &[], &ev("user.create"))
        .await
        .expect("u7");
    let sub = |id: &str, starts: &str, ends: &str| Substitute {
        id: id.into(),
        office_id: case.office_id.clone(),
        absent_id: "u1".into(),
        substitute_id: "u7".into(),
        starts_on: starts.into(),
        ends_on: ends.into(),
        created_by: "u1".into(),
        created_at: 1,
        ..Default::default()
    };
    s.add_substitute(
        &sub("s1", "2026-12-07", "2026-12-18"),
        &ev("substitute.add"),
    )
    .await
    .expect("s1");
    assert!(matches!(
        s.add_substitute(&sub("s2", "2026-12-18", "2026-12-20"), &ev("substitute.add"))
            .await,
        Err(StoreError::Conflict(c)) if c == "s1"
    ));
    s.add_substitute(
        &sub("s3", "2026-12-19", "2026-12-20"),
        &ev("substitute.add"),
    )
    .await
    .expect("s3");
    let on = |day: &'static str| async move {
        s.covering("u7", day)
            .await
            .expect("covering")
            .into_iter()
            .map(|x| x.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(on("2026-12-07").await, vec!["s1"]);
    assert_eq!(on("2026-12-19").await, vec!["s3"]);
    assert!(on("2026-12-21").await.is_empty());
    let all = s
        .office_substitutes(&case.office_id, "2026-12-10")
        .await
        .expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].substitute_name, "User u7");
    assert!(s
        .cancel_substitute("s3", "u1", 2, &ev("substitute.cancel"))
        .await
        .expect("cancel"));
    assert!(!s
        .cancel_substitute("s3", "u1", 3, &ev("substitute.cancel"))
        .await
        .expect("again"));
    assert!(on("2026-12-19").await.is_empty());

    let task = |id: &str, due: Option<&str>| Task {
        id: id.into(),
        case_id: Some(case.id.clone()),
        department_id: Some(case.department_id.clone()),
        office_id: case.office_id.clone(),
        kind: "opinion".into(),
        text: "Czy potrzebna zgoda?".into(),
        assignee_id: "u7".into(),
        due_on: due.map(str::to_string),
        status: "open".into(),
        created_by: "u1".into(),
        created_at: 5,
        ..Default::default()
    };
    let e = |id: &str| CaseEvent {
        id: id.into(),
        kind: "opinion-asked".into(),
        ..event.clone()
    };
    for (id, due) in [
        ("t1", None),
        ("t2", Some("2026-12-20")),
        ("t3", Some("2026-12-10")),
    ] {
        s.add_task(
            &task(id, due),
            Some(&e(&format!("e-{id}"))),
            &ev("task.add"),
        )
        .await
        .expect("task");
    }
    let mine: Vec<String> = s
        .open_tasks_of("u7")
        .await
        .expect("mine")
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(mine, vec!["t3", "t2", "t1"]);
    let done = Task {
        status: "done".into(),
        answer: "Nie".into(),
        closed_by: Some("u7".into()),
        closed_at: Some(9),
        ..task("t3", Some("2026-12-10"))
    };
    assert!(s
        .close_task(&done, Some(&e("e-done")), &ev("task.done"))
        .await
        .expect("close"));
    assert!(!s
        .close_task(&done, Some(&e("e-done2")), &ev("task.done"))
        .await
        .expect("again"));
    let back = s.task("t3").await.expect("read").expect("task");
    assert_eq!(
        (back.status.as_str(), back.answer.as_str()),
        ("done", "Nie")
    );
    assert_eq!(back.signature, case.signature);
    assert_eq!(s.case_tasks(&case.id).await.expect("tasks").len(), 3);
    assert_eq!(s.open_tasks_of("u7").await.expect("mine").len(), 2);
    let timeline = s.case_events(&case.id).await.expect("events");
    assert!(timeline.iter().any(|x| x.id == "e-done"));
    assert!(!timeline.iter().any(|x| x.id == "e-done2"));

    // A to-do on an application, on a department's board: started, reassigned, commented.
    let todo = Task {
        case_id: None,
        link_kind: Some("submission".into()),
        link_id: Some("UPI-1-2026-000001".into()),
        link_label: "Dostęp do informacji publicznej".into(),
        kind: "task".into(),
        ..task("t4", None)
    };
    s.add_task(&todo, None, &ev("task.add"))
        .await
        .expect("to-do");
    let back = s.task("t4").await.expect("read").expect("there");
    assert_eq!((back.signature.as_str(), back.case_id), ("", None));
    let start = TaskChange::Start { at: 7 };
    assert!(s
        .change_task("t4", &start, &ev("task.start"))
        .await
        .expect("start"));
    assert!(!s
        .change_task("t4", &start, &ev("task.start"))
        .await
        .expect("again"));
    let give = TaskChange::Reassign {
        assignee_id: "u1".into(),
        department_id: None,
    };
    assert!(s
        .change_task("t4", &give, &ev("task.reassign"))
        .await
        .expect("give"));
    let back = s.task("t4").await.expect("read").expect("there");
    assert_eq!(
        (back.status.as_str(), back.started_at),
        ("started", Some(7))
    );
    assert_eq!(
        (back.assignee_id.as_str(), back.department_id),
        ("u1", None)
    );
    assert_eq!(
        s.linked_tasks("submission", "UPI-1-2026-000001")
            .await
            .expect("linked")
            .len(),
        1
    );
    assert!(s
        .department_tasks(&case.department_id, 0)
        .await
        .expect("board")
        .iter()
        .all(|t| t.id != "t4"));
    assert_eq!(
        s.department_tasks(&case.department_id, 0)
            .await
            .expect("board")
            .len(),
        3
    );
    for (id, at) in [("k2", 11), ("k1", 10)] {
        let c = TaskComment {
            id: id.into(),
            task_id: "t4".into(),
            author_id: "u7".into(),
            text: format!("Uwaga {id}"),
            created_at: at,
            ..Default::default()
        };
        s.add_task_comment(&c, &ev("task.comment"))
            .await
            .expect("comment");
    }
    let said: Vec<String> = s
        .task_comments("t4")
        .await
        .expect("comments")
        .into_iter()
        .map(|c| format!("{}: {}", c.author_name, c.text))
        .collect();
    assert_eq!(said, vec!["User u7: Uwaga k1", "User u7: Uwaga k2"]);
}

/// A paper letter: its entry numbered in the commit that logs its certification, stored with
/// its scan and the evidence; a commit that fails stores none of them.
async fn scanned_letter(s: &SqlStore, base: &okienko_store::RegisterEntry) {
    use okienko_store::{
        EvidenceRecord, RegisterEntry, RegisterScan, ScannedLetter, SearchStore, SignedRecord,
    };
    let letter = |id: &str, evidence: &str| {
        SignedRecord::ScannedLetter(Box::new(ScannedLetter {
            entry: RegisterEntry {
                id: id.into(),
                kind: "paper".into(),
                subject: "Skarga na hałas".into(),
                correspondent: "Zofia Wąsik".into(),
                submission_id: None,
                // Its own year: the other tests count this one's numbers.
                year: 2025,
                ..base.clone()
            },
            scan: RegisterScan {
                entry_id: id.into(),
                name: "skan.pdf".into(),
                media_type: "application/pdf".into(),
                sha256: "5c".repeat(32),
                size: 1234,
                signature: "MAA=".into(),
                evidence_id: evidence.into(),
                certified_by: "u1".into(),
                certified_name: "User u1".into(),
                certified_at: 7,
            },
            evidence: EvidenceRecord {
                id: evidence.into(),
                message_id: None,
                recipient: String::new(),
                kind: "certified-copy".into(),
                issued_at: 7,
                log_index: -1,
                document: "{}".into(),
                signed_b64: "MAA=".into(),
            },
            text: "Hałas z warsztatu stolarskiego trwa do północy.".into(),
        }))
    };
    let size = s.log_leaf_hashes(0).await.expect("log").len() as i64;
    let mut ok = letter("p1", "EV-p1");
    ok.set_log_index(size);
    s.append_log_and_messages(
        size,
        &[("5c".repeat(32), "c2Nhbg==".into())],
        7,
        &[],
        &[],
        &[(ok, ev("register.paper"))],
    )
    .await
    .expect("stored");
    let e = s.register_entry("p1").await.expect("read").expect("entry");
    assert_eq!((e.number, e.kind.as_str()), (1, "paper"));
    let scan = s.register_scan("p1").await.expect("read").expect("scan");
    assert_eq!(scan.evidence_id, "EV-p1");
    // Found by its scan's text as well as by its subject.
    for words in [&["stolarskiego"][..], &["halas", "polnocy"][..]] {
        let page = s
            .search(&okienko_store::SearchQuery {
                scopes: vec![match &e.department_id {
                    Some(d) => okienko_domain::search::department_scope(d),
                    None => okienko_domain::search::office_scope(&e.office_id),
                }],
                kinds: vec!["entry".into()],
                words: words.iter().map(|w| w.to_string()).collect(),
                limit: 50,
                ..Default::default()
            })
            .await
            .expect("search");
        assert!(page.hits.iter().any(|h| h.item_id == "p1"), "{words:?}");
    }
    assert_eq!(scan.certified_name, "User u1");
    assert_eq!(
        s.evidence("EV-p1")
            .await
            .expect("read")
            .map(|e| e.log_index),
        Some(size)
    );
    // The same entry again: the commit fails whole, its leaf and its evidence are not kept.
    let size = size + 1;
    let mut again = letter("p1", "EV-p2");
    again.set_log_index(size);
    assert!(s
        .append_log_and_messages(
            size,
            &[("5d".repeat(32), "c2Nhbg==".into())],
            7,
            &[],
            &[],
            &[(again, ev("register.paper"))],
        )
        .await
        .is_err());
    assert_eq!(s.log_leaf_hashes(0).await.expect("log").len() as i64, size);
    assert!(s.evidence("EV-p2").await.expect("read").is_none());
    assert!(s.register_scan("nothing").await.expect("read").is_none());
}

/// A property of case numbers, over mixes that proptest draws: whatever cases of two
/// departments, two classes and two years are opened at once (each in a commit of its own or
/// several in one commit, all commits concurrently), every department, class and year is
/// numbered 1..=n, no gap, no twin, and each signature says its unit, class, number and year.
/// Its own departments, so the other tests see none of these cases.
async fn numbering_holds_for_any_mix(
    s: &SqlStore,
    template: &okienko_store::Case,
    event: &okienko_store::CaseEvent,
) {
    use okienko_store::{Case, CaseEvent, NewCase};
    use proptest::strategy::{Strategy, ValueTree};
    for (id, code) in [("dp0", "PA"), ("dp1", "PB")] {
        let d = Department {
            id: id.into(),
            office_id: template.office_id.clone(),
            code: code.into(),
            name: code.into(),
        };
        s.create_department(&d, &ev("department.create"))
            .await
            .expect("dept");
    }
    // 6220, and a class the smaller list of the test after this one keeps.
    const CLASSES: [&str; 2] = ["6220", "6221"];
    // (department, class, year, commit group: 0 alone, 1..=3 together with its group)
    let plans = proptest::collection::vec((0..2usize, 0..2usize, 0..2i64, 0..4usize), 1..40);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for trial in 0..8i64 {
        let plan = plans.new_tree(&mut runner).expect("plan").current();
        let year = |y: i64| 2100 + 2 * trial + y;
        let mut alone = Vec::new();
        let mut groups: Vec<Vec<NewCase>> = vec![Vec::new(); 4];
        for (i, (d, k, y, g)) in plan.iter().enumerate() {
            let id = format!("prop-{trial}-{i}");
            let new = NewCase {
                unit: ["PA", "PB"][*d].into(),
                case: Case {
                    id: id.clone(),
                    department_id: format!("dp{d}"),
                    jrwa: CLASSES[*k].into(),
                    year: year(*y),
                    register_entry_id: None,
                    ..template.clone()
                },
                event: CaseEvent {
                    id: format!("ev-{id}"),
                    case_id: id,
                    ..event.clone()
                },
                audit: ev("case.open"),
            };
            if *g == 0 {
                alone.push(vec![new]);
            } else {
                groups[*g].push(new);
            }
        }
        let commits: Vec<Vec<NewCase>> = alone
            .into_iter()
            .chain(groups.into_iter().filter(|g| !g.is_empty()))
            .collect();
        let opened: Vec<Case> = futures_join_all(commits.iter().map(|c| s.open_cases(c)))
            .await
            .into_iter()
            .flat_map(|r| r.expect("opened"))
            .collect();
        assert_eq!(opened.len(), plan.len());
        let mut by_key: std::collections::BTreeMap<(String, String, i64), Vec<i64>> =
            Default::default();
        for c in &opened {
            let unit = if c.department_id == "dp0" { "PA" } else { "PB" };
            assert_eq!(
                c.signature,
                format!("{unit}.{}.{}.{}", c.jrwa, c.number, c.year),
                "{plan:?}"
            );
            by_key
                .entry((c.department_id.clone(), c.jrwa.clone(), c.year))
                .or_default()
                .push(c.number);
        }
        for (key, mut numbers) in by_key {
            numbers.sort();
            assert_eq!(
                numbers,
                (1..=numbers.len() as i64).collect::<Vec<_>>(),
                "{key:?} in {plan:?}"
            );
        }
    }
}

/// The archive: closed cases in the order they closed, paged; a destruction list numbered
/// per office and year, a case on one live list at a time (a rejected list frees it), a step
/// stored only from the status it was taken from, with an event on each case.
async fn destruction_lists_of_closed_cases(s: &SqlStore, event: &okienko_store::CaseEvent) {
    use okienko_store::{CaseQuery, DestructionItem, DestructionList};
    let open = s
        .cases(&CaseQuery {
            department_ids: vec!["d1".into()],
            statuses: vec!["open".into()],
            handler_ids: Vec::new(),
            after: None,
            limit: 3,
        })
        .await
        .expect("cases");
    for (n, c) in open.iter().enumerate() {
        let mut closed = c.clone();
        closed.status = "closed".into();
        closed.closed_at = Some(1000 + n as i64);
        let e = okienko_store::CaseEvent {
            id: format!("ev-close-{n}"),
            case_id: c.id.clone(),
            ..event.clone()
        };
        assert!(s
            .update_case(&closed, "open", &e, &ev("case.close"), None)
            .await
            .expect("close"));
    }
    // Paged two at a time, in the order they closed.
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = s.archive_cases("o1", after, 2).await.expect("archive");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some((last.closed_at.unwrap_or(0), last.id.clone()));
        all.extend(page);
    }
    assert!(all.iter().all(|c| c.status == "closed"));
    assert!(all
        .windows(2)
        .all(|w| (w[0].closed_at, &w[0].id) < (w[1].closed_at, &w[1].id)));
    let at = |id: &str| all.iter().position(|c| c.id == id).expect("listed");
    assert!(at(&open[0].id) < at(&open[1].id) && at(&open[1].id) < at(&open[2].id));
    let list = |id: &str| DestructionList {
        id: id.into(),
        office_id: "o1".into(),
        year: 2040,
        status: "prepared".into(),
        prepared_by: "u1".into(),
        prepared_at: 5,
        ..Default::default()
    };
    let item = |n: usize| DestructionItem {
        case_id: open[n].id.clone(),
        category: "B10".into(),
        destroyable_from: 2037,
    };
    let first = s
        .add_destruction_list(&list("dl1"), &[item(0), item(1)], &ev("archive.prepare"))
        .await
        .expect("list");
    assert_eq!(first.number, 1);
    assert!(matches!(
        s.add_destruction_list(&list("dl2"), &[item(1), item(2)], &ev("archive.prepare"))
            .await,
        Err(StoreError::Conflict(c)) if c == open[1].id
    ));
    assert!(s.destruction_list("dl2").await.expect("db").is_none());
    let on = s
        .cases_on_lists(&[open[0].id.clone(), open[2].id.clone()])
        .await
        .expect("on lists");
    assert_eq!(on, vec![open[0].id.clone()]);
    // Rejected: its cases may go on another list.
    let mut rejected = first.clone();
    rejected.status = "rejected".into();
    rejected.rejected_by = Some("u1".into());
    rejected.rejected_at = Some(6);
    rejected.reason = "Postępowanie sądowe w toku".into();
    assert!(s
        .update_destruction_list(&rejected, "prepared", &[], &ev("archive.reject"))
        .await
        .expect("reject"));
    assert!(!s
        .update_destruction_list(&rejected, "prepared", &[], &ev("archive.reject"))
        .await
        .expect("stale"));
    let second = s
        .add_destruction_list(&list("dl3"), &[item(1), item(2)], &ev("archive.prepare"))
        .await
        .expect("second list");
    assert_eq!(second.number, 2);
    let items = s.destruction_items("dl3").await.expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].0.destroyable_from, 2037);
    // Documents: one of a case on the list (two versions, one of them the same bytes as a
    // document of a case not on it), one of a case not on it.
    let doc = |id: &str, case: &str, n: i64, sha: &str| {
        (
            okienko_store::CaseDocument {
                id: id.into(),
                case_id: case.into(),
                title: format!("Protokół {id}"),
                created_by: "u1".into(),
                created_at: 6,
                ..Default::default()
            },
            okienko_store::DocumentVersion {
                document_id: id.into(),
                n,
                name: format!("{id}.txt"),
                media_type: "text/plain".into(),
                sha256: sha.repeat(32),
                size: 3,
                author_id: "u1".into(),
                author_name: String::new(),
                at: 6,
                text: "oględziny drzewostanu".into(),
            },
        )
    };
    for (id, case, sha) in [
        ("dd1", open[2].id.clone(), "d1"),
        ("dd2", open[0].id.clone(), "d2"),
    ] {
        let (d, v) = doc(id, &case, 1, sha);
        let e = okienko_store::CaseEvent {
            id: format!("ev-{id}"),
            case_id: case.clone(),
            ..event.clone()
        };
        s.add_document(&d, &v, &e, &ev("document.add"))
            .await
            .expect("document");
    }
    let (_, v2) = doc("dd1", &open[2].id, 2, "d2");
    let events_of = |n: &str| okienko_store::CaseEvent {
        id: format!("ev-dd-{n}"),
        case_id: open[2].id.clone(),
        ..event.clone()
    };
    assert!(s
        .check_out("dd1", "u1", 6, &events_of("out"), &ev("document.checkout"))
        .await
        .expect("out"));
    assert!(s
        .check_in(
            "dd1",
            "u1",
            Some(&v2),
            &events_of("in"),
            &ev("document.checkin")
        )
        .await
        .expect("in"));
    let department = open[2].department_id.clone();
    let find = |w: &str| okienko_store::SearchQuery {
        scopes: vec![okienko_domain::search::department_scope(&department)],
        kinds: vec![okienko_domain::search::KIND_DOCUMENT.into()],
        words: vec![w.into()],
        limit: 10,
        ..Default::default()
    };
    let found = |p: okienko_store::SearchPage| {
        let mut ids: Vec<String> = p.hits.into_iter().map(|h| h.item_id).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        found(s.search(&find("drzewostanu")).await.expect("search")),
        ["dd1", "dd2"]
    );
    assert!(s.blob_garbage(10).await.expect("queue").is_empty());
    let mut approved = second.clone();
    approved.status = "approved".into();
    approved.approved_by = Some("u1".into());
    approved.approved_at = Some(7);
    let events: Vec<_> = items
        .iter()
        .map(|(i, _)| okienko_store::CaseEvent {
            id: format!("ev-destroy-{}", i.case_id),
            case_id: i.case_id.clone(),
            kind: "destruction-approved".into(),
            ..event.clone()
        })
        .collect();
    // The paper letter registered earlier joined a case of the list.
    sqlx::query("UPDATE register_entries SET case_id = $1 WHERE id = 'p1'")
        .bind(&open[2].id)
        .execute(s.raw_pool())
        .await
        .expect("join");
    // (Its scan's text is not in the index any more: the search test above indexed the
    // database again as its migration does, from the register's rows.)
    let by_subject = okienko_store::SearchQuery {
        kinds: vec![okienko_domain::search::KIND_ENTRY.into()],
        ..find("skarga")
    };
    assert_eq!(found(s.search(&by_subject).await.expect("search")), ["p1"]);
    assert!(s
        .update_destruction_list(&approved, "prepared", &events, &ev("archive.approve"))
        .await
        .expect("approve"));
    let lists = s.destruction_lists("o1", 10).await.expect("lists");
    assert_eq!(lists.len(), 2);
    assert_eq!(
        s.destruction_list("dl3")
            .await
            .expect("db")
            .expect("list")
            .status,
        "approved"
    );
    assert!(s
        .case_events(&open[2].id)
        .await
        .expect("events")
        .iter()
        .any(|e| e.kind == "destruction-approved"));
    // Approving destroyed the records of its cases in the same commit: they are marked, their
    // documents are found by their titles only, a letter's entry by its own words only, and
    // their files (the letter's scan too) are queued; a file another live record has stays.
    let ids: Vec<String> = open.iter().map(|c| c.id.clone()).collect();
    let mut gone = s.destroyed(&ids).await.expect("destroyed");
    gone.sort();
    let mut want = vec![open[1].id.clone(), open[2].id.clone()];
    want.sort();
    assert_eq!(gone, want);
    assert_eq!(
        s.destroyed_by(&open[2].id)
            .await
            .expect("db")
            .map(|l| (l.id, l.number)),
        Some(("dl3".to_string(), 2))
    );
    assert!(s.destroyed_by(&open[0].id).await.expect("db").is_none());
    assert_eq!(
        found(s.search(&find("drzewostanu")).await.expect("search")),
        ["dd2"]
    );
    assert_eq!(
        found(s.search(&find("protokol")).await.expect("search")),
        ["dd1", "dd2"]
    );
    assert_eq!(found(s.search(&by_subject).await.expect("search")), ["p1"]);
    let mut queued = s.blob_garbage(10).await.expect("queue");
    queued.sort();
    assert_eq!(queued, ["5c".repeat(32), "d1".repeat(32), "d2".repeat(32)]);
    let mut free = s.unreferenced_blobs(&queued).await.expect("refs");
    free.sort();
    assert_eq!(free, ["5c".repeat(32), "d1".repeat(32)]);
    s.forget_blob_garbage(&queued).await.expect("forget");
    assert!(s.blob_garbage(10).await.expect("queue").is_empty());
    // Handed over to the state archive: numbered per office and year, each case once (a
    // second transfer with one of them changes nothing), an event with the number on each.
    let transfer = |id: &str| okienko_store::ArchiveTransfer {
        id: id.into(),
        office_id: "o1".into(),
        year: 2051,
        made_by: "u1".into(),
        made_at: 8,
        cases: 1,
        name: format!("{id}.zip"),
        sha256: "ab".repeat(32),
        size: 22,
        ..Default::default()
    };
    let handed = |n: usize| okienko_store::CaseEvent {
        id: format!("ev-transfer-{n}"),
        case_id: open[n].id.clone(),
        kind: "transferred".into(),
        ..event.clone()
    };
    let t1 = s
        .add_transfer(
            &transfer("t1"),
            std::slice::from_ref(&open[0].id),
            &[handed(0)],
            &ev("archive.transfer"),
        )
        .await
        .expect("transfer");
    assert_eq!(t1.number, 1);
    assert!(matches!(
        s.add_transfer(
            &transfer("t2"),
            &[open[1].id.clone(), open[0].id.clone()],
            &[],
            &ev("archive.transfer"),
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.transfer("t2").await.expect("db").is_none());
    assert_eq!(
        s.transferred(&[open[0].id.clone(), open[1].id.clone()])
            .await
            .expect("transferred"),
        vec![open[0].id.clone()]
    );
    let t3 = s
        .add_transfer(
            &transfer("t3"),
            std::slice::from_ref(&open[1].id),
            &[handed(1)],
            &ev("archive.transfer"),
        )
        .await
        .expect("second transfer");
    assert_eq!(t3.number, 2);
    let all = s.transfers("o1", 10).await.expect("transfers");
    assert_eq!(all.len(), 2);
    assert_eq!(s.transfer("t1").await.expect("db"), Some(t1));
    assert!(s
        .case_events(&open[1].id)
        .await
        .expect("events")
        .iter()
        .any(|e| e.kind == "transferred" && e.detail == "2/2051"));
}

/// A case's place: set, changed, listed by department and status (newest case first, paged),
/// removed once; each with its timeline event. Coordinates read back exactly.
async fn places_of_cases(s: &SqlStore, event: &okienko_store::CaseEvent) {
    use okienko_store::{CasePlace, CaseQuery, PlaceQuery};
    let open = s
        .cases(&CaseQuery {
            department_ids: vec!["d1".into()],
            statuses: vec!["open".into()],
            handler_ids: Vec::new(),
            after: None,
            limit: 3,
        })
        .await
        .expect("cases");
    assert_eq!(open.len(), 3);
    let ev_n = |n: usize| okienko_store::CaseEvent {
        id: format!("ev-place-{n}"),
        case_id: open[n % 3].id.clone(),
        kind: "placed".into(),
        ..event.clone()
    };
    for (n, c) in open.iter().enumerate() {
        let p = CasePlace {
            case_id: c.id.clone(),
            department_id: "d1".into(),
            address: format!("ul. Lipowa {n}, Wąchock"),
            lat_e7: Some(510_731_000 + n as i64),
            lon_e7: (n != 2).then_some(-210_129_999),
            updated_by: "u1".into(),
            updated_at: 10,
        };
        s.set_place(&p, &ev_n(n), &ev("case.place"))
            .await
            .expect("place");
    }
    // A change replaces the place.
    let moved = CasePlace {
        case_id: open[0].id.clone(),
        department_id: "d1".into(),
        address: "Rynek 1".into(),
        lat_e7: None,
        lon_e7: None,
        updated_by: "u1".into(),
        updated_at: 11,
    };
    s.set_place(
        &moved,
        &okienko_store::CaseEvent {
            id: "ev-place-moved".into(),
            ..ev_n(0)
        },
        &ev("case.place"),
    )
    .await
    .expect("moved");
    assert_eq!(s.place(&open[0].id).await.expect("read"), Some(moved));
    let second = s.place(&open[1].id).await.expect("read").expect("placed");
    assert_eq!(
        (second.lat_e7, second.lon_e7),
        (Some(510_731_001), Some(-210_129_999))
    );
    let q = |before: Option<String>, statuses: &[&str]| PlaceQuery {
        department_ids: vec!["d1".into()],
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
        before,
        limit: 2,
    };
    let page1 = s.places(&q(None, &["open"])).await.expect("places");
    assert_eq!(page1.len(), 2);
    let page2 = s
        .places(&q(Some(page1[1].place.case_id.clone()), &["open"]))
        .await
        .expect("page 2");
    assert_eq!(page2.len(), 1);
    let mut ids: Vec<_> = page1
        .iter()
        .chain(&page2)
        .map(|p| p.place.case_id.clone())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest case first");
    ids.sort();
    let mut want: Vec<_> = open.iter().map(|c| c.id.clone()).collect();
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(page1[0].signature.split('.').count(), 4);
    assert!(s
        .places(&q(None, &["closed"]))
        .await
        .expect("none")
        .is_empty());
    let other = PlaceQuery {
        department_ids: vec!["d2".into()],
        ..q(None, &["open"])
    };
    assert!(s.places(&other).await.expect("none").is_empty());
    // Removed once; the second time there is nothing to remove and nothing is written.
    let gone = okienko_store::CaseEvent {
        id: "ev-place-gone".into(),
        ..ev_n(2)
    };
    assert!(s
        .remove_place(&open[2].id, &gone, &ev("case.unplace"))
        .await
        .expect("remove"));
    let again = okienko_store::CaseEvent {
        id: "ev-place-gone-2".into(),
        ..ev_n(2)
    };
    assert!(!s
        .remove_place(&open[2].id, &again, &ev("case.unplace"))
        .await
        .expect("again"));
    assert_eq!(s.place(&open[2].id).await.expect("read"), None);
    let timeline = s.case_events(&open[2].id).await.expect("events");
    assert!(timeline.iter().any(|e| e.id == "ev-place-gone"));
    assert!(!timeline.iter().any(|e| e.id == "ev-place-gone-2"));
}

/// The search index: cases, entries and documents found by folded word prefixes in their
/// department's scope only; a document by its latest version's text; a signature as one word.
async fn search_in_a_case(s: &SqlStore, first: &okienko_store::Case) {
    use okienko_store::{SearchQuery, SearchStore};
    let ask = |scope: &str, kinds: &[&str], words: &[&str]| SearchQuery {
        scopes: vec![scope.to_string()],
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        words: words.iter().map(|w| w.to_string()).collect(),
        limit: 50,
        ..SearchQuery::default()
    };
    let found = |q: SearchQuery| async move {
        let page = s.search(&q).await.expect("search");
        page.hits
            .into_iter()
            .map(|h| (h.kind, h.item_id))
            .collect::<Vec<_>>()
    };
    // The entries given to d1 have "Jan Kowalski" as their correspondent.
    let entries = found(ask("department:d1", &["entry"], &["kowal"])).await;
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|(k, _)| k == "entry"));
    assert!(
        found(ask("department:d2", &["entry", "case"], &["kowal"]))
            .await
            .is_empty(),
        "another department's"
    );
    assert!(
        found(ask("department:d1", &["entry"], &["kowal", "nikt"]))
            .await
            .is_empty(),
        "every word"
    );
    // A signature, as one word, finds its case.
    let signature = okienko_domain::search::compact(&first.signature);
    assert_eq!(
        found(ask("department:d1", &["case"], &[&signature])).await,
        vec![("case".to_string(), first.id.clone())]
    );
    // The document is found by its latest version's text and opens its case.
    assert!(
        found(ask(
            "department:d1",
            &["case", "entry", "document"],
            &["dzierzawy"]
        ))
        .await
        .is_empty(),
        "the old version's text"
    );
    let page = s
        .search(&ask("department:d1", &["document"], &["aneks", "czyn"]))
        .await
        .expect("search");
    assert_eq!(page.hits.len(), 1);
    assert_eq!(page.hits[0].opens, "/cases/c00#document-doc1");
    assert!(!page.capped);
    // More candidates than a search looks at: the rarer word drives (the oldest item is
    // found by its own word), and two words that both start more than that say so.
    // Numbered cases of a scope with their words, and the ids a page found.
    let numbered = |name: &str, n: i64, words: Vec<String>| okienko_store::SearchItem {
        scope: format!("department:{name}"),
        kind: "case".into(),
        item_id: format!("{name}-{n:05}"),
        at: n,
        label: format!("Sprawa {n}"),
        opens: format!("/cases/{name}-{n:05}"),
        words,
    };
    let ids = |page: &okienko_store::SearchPage| {
        page.hits
            .iter()
            .map(|h| h.item_id.clone())
            .collect::<Vec<_>>()
    };
    let items: Vec<okienko_store::SearchItem> = (0..=okienko_store::SEARCH_CANDIDATES)
        .map(|n| numbered("cap", n, vec!["alfa".into(), format!("b{n:04}")]))
        .collect();
    s.index_items(&items).await.expect("index");
    let page = s
        .search(&ask("department:cap", &["case"], &["alfa", "b0000"]))
        .await
        .expect("search");
    assert_eq!(ids(&page), vec!["cap-00000"]);
    assert!(!page.capped);
    let page = s
        .search(&ask("department:cap", &["case"], &["alf", "alfa"]))
        .await
        .expect("search");
    assert_eq!(page.hits.len(), 50);
    assert_eq!(
        page.hits[0].item_id,
        format!("cap-{:05}", okienko_store::SEARCH_CANDIDATES)
    );
    assert!(page.capped);
    let page = s
        .search(&ask("department:cap", &["case"], &["alfa", "nikt"]))
        .await
        .expect("search");
    assert!(page.hits.is_empty() && !page.capped);
    // An other word much denser than the driver among its candidates: its items as new as
    // the candidates are read up to a bound, the older candidates looked up one by one (the
    // two matches are older than what was read).
    let items: Vec<okienko_store::SearchItem> = (0..3000)
        .map(|n| {
            let mut words = Vec::new();
            if n % 5 == 0 {
                words.push("rzadki".to_string());
            }
            if (n >= 1000 && n % 5 != 0) || n == 600 || n == 605 {
                words.push("gesty".to_string());
            }
            if n == 605 {
                words.push("gruby".to_string());
            }
            numbered("win", n, words)
        })
        .collect();
    s.index_items(&items).await.expect("index");
    let page = s
        .search(&ask("department:win", &["case"], &["gesty", "rzadki"]))
        .await
        .expect("search");
    assert_eq!(ids(&page), vec!["win-00605", "win-00600"]);
    assert!(page.capped);
    // A word that starts several words of the index is tested on the candidates' lines.
    let page = s
        .search(&ask("department:win", &["case"], &["g", "rzadki"]))
        .await
        .expect("search");
    assert_eq!(page.hits.len(), 2);
    // A database from before the index: the migration indexes what is there (a document by
    // its title; its text is read again only with its next version).
    let pool = s.raw_pool();
    for sql in [
        "DROP TABLE search_words",
        "DROP TABLE search_items",
        "DELETE FROM schema_migrations WHERE version = 33",
    ] {
        sqlx::query(sql).execute(pool).await.expect("undo 0033");
    }
    assert_eq!(s.migrate().await.expect("migrate"), vec![33]);
    assert_eq!(
        found(ask("department:d1", &["case"], &[&signature])).await,
        vec![("case".to_string(), first.id.clone())]
    );
    assert!(!found(ask("department:d1", &["entry"], &["kowal"]))
        .await
        .is_empty());
    assert_eq!(
        found(ask("department:d1", &["document"], &["projekt", "umow"])).await,
        vec![("document".to_string(), "doc1".to_string())]
    );
    // Statistics brought up to date: SQLite keeps no per-value samples (they would make it
    // compile every statement again for each new value), and the searches answer the same.
    s.analyze().await.expect("analyze");
    if s.backend() == okienko_store::Backend::Sqlite {
        let samples: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat4")
            .fetch_one(s.raw_pool())
            .await
            .expect("stat4");
        assert_eq!(samples, 0);
    }
    assert_eq!(
        found(ask("department:d1", &["document"], &["projekt", "umow"])).await,
        vec![("document".to_string(), "doc1".to_string())]
    );
    assert!(found(ask("department:d1", &["entry"], &["kowal", "nikt"]))
        .await
        .is_empty());
}

/// Templates, decisions numbered per case, changes from the status they were made from, and a
/// signed decision stored with its leaf in one commit (or not at all).
async fn decisions_in_a_case(s: &SqlStore, event: &okienko_store::CaseEvent) {
    use okienko_store::{CaseEvent, Decision, DecisionTemplate, EvidenceRecord, SignedDecision};
    let t = DecisionTemplate {
        id: "t1".into(),
        office_id: "o1".into(),
        name: "Zezwolenie".into(),
        jrwa: "6220".into(),
        body: "Dla {party}".into(),
        approval: true,
        updated_at: 1,
    };
    s.save_decision_template(&t, &ev("decision.template"))
        .await
        .expect("template");
    let changed = DecisionTemplate {
        body: "Zezwala się {party}".into(),
        approval: false,
        ..t.clone()
    };
    s.save_decision_template(&changed, &ev("decision.template"))
        .await
        .expect("template again");
    assert_eq!(
        s.decision_templates("o1").await.expect("read"),
        vec![changed]
    );
    let ev_n = |n: &str| CaseEvent {
        id: format!("ev-{n}"),
        ..event.clone()
    };
    let draft = |id: &str| Decision {
        id: id.into(),
        case_id: "c00".into(),
        template_id: Some("t1".into()),
        title: "Decyzja".into(),
        body: "Zezwala się".into(),
        approval: true,
        status: "draft".into(),
        drafted_by: "u1".into(),
        drafted_at: 20,
        ..Decision::default()
    };
    let (da, db, ea, eb, audit) = (
        draft("dA"),
        draft("dB"),
        ev_n("dA"),
        ev_n("dB"),
        ev("decision.draft"),
    );
    let (a, b) = tokio::join!(
        s.add_decision(&da, &ea, &audit),
        s.add_decision(&db, &eb, &audit)
    );
    let mut ns = vec![a.expect("a").n, b.expect("b").n];
    ns.sort_unstable();
    assert_eq!(ns, vec![1, 2]);
    let approved = Decision {
        status: "approved".into(),
        approved_by: Some("u1".into()),
        approved_at: Some(21),
        ..draft("dA")
    };
    assert!(s
        .update_decision(
            &approved,
            "draft",
            &ev_n("ap"),
            &ev("decision.approve"),
            None
        )
        .await
        .expect("approve"));
    assert!(!s
        .update_decision(
            &approved,
            "draft",
            &ev_n("ap2"),
            &ev("decision.approve"),
            None
        )
        .await
        .expect("stale"));
    let signed = |expected: &str, leaf: &str| {
        okienko_store::SignedRecord::DecisionSigned(Box::new(SignedDecision {
            decision: Decision {
                status: "signed".into(),
                signed_by: Some("u1".into()),
                signed_at: Some(22),
                pdf_sha256: Some("cd".repeat(32)),
                pdf_size: Some(1000),
                signature: Some("MAA=".into()),
                evidence_id: Some(format!("EV-{leaf}")),
                ..approved.clone()
            },
            expected: expected.into(),
            evidence: EvidenceRecord {
                id: format!("EV-{leaf}"),
                message_id: None,
                recipient: String::new(),
                kind: "decision-signature".into(),
                issued_at: 22,
                log_index: -1,
                document: "{}".into(),
                signed_b64: "MAA=".into(),
            },
            event: ev_n(leaf),
        }))
    };
    let size = s.log_leaf_hashes(0).await.expect("log").len() as i64;
    // Signed from a status it is not in: the commit fails, its leaf is not logged.
    assert!(s
        .append_log_and_messages(
            size,
            &[("ee".repeat(32), "ZGVj".into())],
            22,
            &[],
            &[],
            &[(signed("draft", "x"), ev("decision.sign"))]
        )
        .await
        .is_err());
    assert_eq!(s.log_leaf_hashes(0).await.expect("log").len() as i64, size);
    let mut ok = signed("approved", "y");
    ok.set_log_index(size);
    s.append_log_and_messages(
        size,
        &[("ff".repeat(32), "ZGVj".into())],
        22,
        &[],
        &[],
        &[(ok, ev("decision.sign"))],
    )
    .await
    .expect("signed");
    let back = s.decision("dA").await.expect("read").expect("decision");
    assert_eq!(back.status, "signed");
    assert_eq!(back.evidence_id.as_deref(), Some("EV-y"));
    let evidence = s.evidence("EV-y").await.expect("read").expect("evidence");
    assert_eq!(evidence.log_index, size);
    let dispatched = Decision {
        status: "dispatched".into(),
        message_id: Some("m-dec".into()),
        dispatched_at: Some(23),
        ..back
    };
    assert!(s
        .update_decision(
            &dispatched,
            "signed",
            &ev_n("dis"),
            &ev("decision.dispatch"),
            Some(&okienko_store::RegisterEntry {
                id: "e-out".into(),
                office_id: "o1".into(),
                year: 2026,
                number: 0,
                direction: "out".into(),
                kind: "decision".into(),
                subject: "Decyzja".into(),
                correspondent: "Jan Kowalski".into(),
                received_at: 23,
                submission_id: None,
                message_id: Some("m-dec".into()),
                department_id: Some("d1".into()),
                case_id: Some("c00".into()),
                created_by: "u1".into(),
                created_at: 23,
            })
        )
        .await
        .expect("dispatch"));
    // Sent out: the next number of the office's register.
    let out = s
        .register_entry("e-out")
        .await
        .expect("read")
        .expect("entry");
    assert_eq!((out.number, out.direction.as_str()), (3, "out"));
    assert_eq!(
        s.decision_of_message("m-dec")
            .await
            .expect("read")
            .map(|d| d.id),
        Some("dA".into())
    );
    assert_eq!(
        s.decisions("c00")
            .await
            .expect("read")
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>()
            .len(),
        2
    );
}

/// A working document: checked out by one person at a time, checked in by its holder only,
/// each check-in with a file a new numbered version.
async fn documents_in_a_case(s: &SqlStore, event: &okienko_store::CaseEvent) {
    use okienko_store::{CaseDocument, CaseEvent, DocumentVersion};
    let ev_n = |n: &str| CaseEvent {
        id: format!("evd-{n}"),
        ..event.clone()
    };
    let d = CaseDocument {
        id: "doc1".into(),
        case_id: "c00".into(),
        title: "Projekt umowy".into(),
        created_by: "u1".into(),
        created_at: 30,
        ..CaseDocument::default()
    };
    let v = DocumentVersion {
        document_id: "doc1".into(),
        n: 0,
        name: "umowa.txt".into(),
        media_type: "text/plain".into(),
        sha256: "ab".repeat(32),
        size: 10,
        author_id: "u1".into(),
        author_name: String::new(),
        at: 30,
        text: "Umowa dzierżawy gruntu".into(),
    };
    s.add_document(&d, &v, &ev_n("add"), &ev("document.add"))
        .await
        .expect("added");
    assert!(s
        .check_out("doc1", "u1", 31, &ev_n("out"), &ev("document.checkout"))
        .await
        .expect("out"));
    assert!(
        !s.check_out("doc1", "u1", 32, &ev_n("out2"), &ev("document.checkout"))
            .await
            .expect("again"),
        "one holder at a time"
    );
    let held = s.document("doc1").await.expect("read").expect("doc");
    assert_eq!(
        (
            held.holder_id.as_deref(),
            held.holder_name.as_deref(),
            held.held_since
        ),
        (Some("u1"), Some("User u1"), Some(31))
    );
    let v2 = DocumentVersion {
        sha256: "cd".repeat(32),
        at: 33,
        text: "Aneks zmieniający czynsz".into(),
        ..v.clone()
    };
    assert!(!s
        .check_in(
            "doc1",
            "someone-else",
            Some(&v2),
            &ev_n("in0"),
            &ev("document.checkin")
        )
        .await
        .expect("not the holder"),);
    assert!(s
        .check_in(
            "doc1",
            "u1",
            Some(&v2),
            &ev_n("in"),
            &ev("document.checkin")
        )
        .await
        .expect("in"));
    let back = s.document("doc1").await.expect("read").expect("doc");
    assert_eq!((back.versions, back.holder_id), (2, None));
    let versions = s.document_versions("doc1").await.expect("versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.n, v.sha256.clone()))
            .collect::<Vec<_>>(),
        vec![(1, "ab".repeat(32)), (2, "cd".repeat(32))]
    );
    assert_eq!(versions[0].author_name, "User u1");
    assert_eq!(s.documents("c00").await.expect("list").len(), 1);
}

/// A department's library: folders of one name once per place, documents at the top and in a
/// folder, one holder at a time with versions numbered on, shares with another department
/// (changed in place, stopped once) and links into a case (once each).
async fn library_of_departments(s: &SqlStore) {
    use okienko_store::{
        DocumentVersion, LibraryDocument, LibraryFolder, LibraryLink, LibraryShare,
    };
    let folder = |id: &str, parent: Option<&str>, name: &str| LibraryFolder {
        id: id.into(),
        office_id: "o1".into(),
        department_id: "d1".into(),
        parent_id: parent.map(Into::into),
        name: name.into(),
        created_by: "u1".into(),
        created_at: 40,
    };
    s.add_folder(&folder("f1", None, "Wzory"), &ev("library.folder"))
        .await
        .expect("f1");
    s.add_folder(&folder("f2", Some("f1"), "Umowy"), &ev("library.folder"))
        .await
        .expect("f2");
    assert!(matches!(
        s.add_folder(&folder("f3", None, "Wzory"), &ev("library.folder"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    s.add_folder(&folder("f4", Some("f2"), "Wzory"), &ev("library.folder"))
        .await
        .expect("the same name elsewhere");
    assert_eq!(
        s.folders("d1", None).await.expect("top").len(),
        1,
        "one folder at the top"
    );
    assert_eq!(
        s.folders("d1", Some("f2")).await.expect("in f2")[0].id,
        "f4"
    );
    let doc = |id: &str, folder: Option<&str>, title: &str| LibraryDocument {
        id: id.into(),
        office_id: "o1".into(),
        department_id: "d1".into(),
        folder_id: folder.map(Into::into),
        title: title.into(),
        created_by: "u1".into(),
        created_at: 41,
        ..Default::default()
    };
    let v = DocumentVersion {
        document_id: "ld1".into(),
        text: "Umowa najmu".into(),
        name: "wzor.txt".into(),
        media_type: "text/plain".into(),
        sha256: "ef".repeat(32),
        size: 12,
        author_id: "u1".into(),
        at: 41,
        ..Default::default()
    };
    s.add_library_document(
        &doc("ld1", Some("f2"), "Wzór umowy"),
        &v,
        &ev("library.add"),
    )
    .await
    .expect("ld1");
    s.add_library_document(
        &doc("ld2", None, "Regulamin"),
        &DocumentVersion {
            document_id: "ld2".into(),
            ..v.clone()
        },
        &ev("library.add"),
    )
    .await
    .expect("ld2");
    let in_f2 = s.library_documents("d1", Some("f2")).await.expect("f2");
    assert_eq!(
        in_f2.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["ld1"]
    );
    assert_eq!(
        s.library_documents("d1", None).await.expect("top")[0].id,
        "ld2"
    );
    assert!(s
        .library_check_out("ld1", "u7", 42, &ev("library.checkout"))
        .await
        .expect("out"));
    assert!(!s
        .library_check_out("ld1", "u1", 43, &ev("library.checkout"))
        .await
        .expect("held"));
    assert!(!s
        .library_check_in("ld1", "u1", Some(&v), &ev("library.checkin"))
        .await
        .expect("not the holder"));
    let v2 = DocumentVersion {
        sha256: "01".repeat(32),
        author_id: "u7".into(),
        at: 44,
        text: "Aneks do wzoru".into(),
        ..v.clone()
    };
    assert!(s
        .library_check_in("ld1", "u7", Some(&v2), &ev("library.checkin"))
        .await
        .expect("in"));
    let back = s.library_document("ld1").await.expect("read").expect("ld1");
    assert_eq!((back.versions, back.holder_id), (2, None));
    // Found by its title and its latest version's text, in its department's scope.
    let find = |w: &str| okienko_store::SearchQuery {
        scopes: vec![okienko_domain::search::department_scope("d1")],
        kinds: vec![okienko_domain::search::KIND_LIBRARY.into()],
        words: vec![w.into()],
        limit: 10,
        ..Default::default()
    };
    // ld1's first version said "Umowa najmu" too: only ld2 (one version) still does.
    for (w, hit) in [("wzor", "ld1"), ("aneks", "ld1"), ("najmu", "ld2")] {
        let page = s.search(&find(w)).await.expect("search");
        let ids: Vec<&str> = page.hits.iter().map(|h| h.item_id.as_str()).collect();
        assert_eq!(ids, [hit], "{w}");
    }
    let versions = s.library_versions("ld1").await.expect("versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.n, v.author_id.as_str()))
            .collect::<Vec<_>>(),
        [(1, "u1"), (2, "u7")]
    );
    let share = |level: &str| LibraryShare {
        folder_id: "f1".into(),
        department_id: "d2".into(),
        level: level.into(),
        shared_by: "u1".into(),
        shared_at: 45,
        ..Default::default()
    };
    s.share_folder(&share("read"), &ev("library.share"))
        .await
        .expect("share");
    s.share_folder(&share("edit"), &ev("library.share"))
        .await
        .expect("changed");
    let shares = s.folder_shares("f1").await.expect("shares");
    assert_eq!(
        shares
            .iter()
            .map(|s| (s.department_name.as_str(), s.level.as_str()))
            .collect::<Vec<_>>(),
        [("GK", "edit")]
    );
    let with = s.shared_with(&["d2".into()]).await.expect("shared with d2");
    assert_eq!(
        with.iter()
            .map(|(s, f)| (
                s.department_name.as_str(),
                f.id.as_str(),
                f.department_id.as_str()
            ))
            .collect::<Vec<_>>(),
        [("OR", "f1", "d1")]
    );
    assert!(s.shared_with(&[]).await.expect("none").is_empty());
    assert!(s
        .unshare_folder("f1", "d2", &ev("library.unshare"))
        .await
        .expect("stop"));
    assert!(!s
        .unshare_folder("f1", "d2", &ev("library.unshare"))
        .await
        .expect("once"));
    let link = LibraryLink {
        document_id: "ld1".into(),
        kind: "case".into(),
        target_id: "c00".into(),
        created_by: "u1".into(),
        created_at: 46,
    };
    assert!(s
        .link_document(&link, &ev("library.link"))
        .await
        .expect("link"));
    assert!(!s
        .link_document(&link, &ev("library.link"))
        .await
        .expect("once"));
    assert_eq!(
        s.document_links("ld1").await.expect("links"),
        std::slice::from_ref(&link)
    );
    assert_eq!(
        s.linked_documents("case", "c00").await.expect("linked")[0].title,
        "Wzór umowy"
    );
    assert!(s
        .unlink_document("ld1", "case", "c00", &ev("library.unlink"))
        .await
        .expect("unlink"));
    assert!(s
        .linked_documents("case", "c00")
        .await
        .expect("none")
        .is_empty());

    // Renamed: one name once per place still; a new title is found.
    assert!(matches!(
        s.rename_folder("f4", "Umowy", &ev("library.rename")).await,
        Ok(())
    ));
    s.add_folder(&folder("f5", Some("f2"), "Wzory"), &ev("library.folder"))
        .await
        .expect("f5");
    assert!(matches!(
        s.rename_folder("f5", "Umowy", &ev("library.rename")).await,
        Err(okienko_store::StoreError::Conflict(_))
    ));
    s.retitle_library_document("ld2", "Statut gminy", &ev("library.retitle"))
        .await
        .expect("retitled");
    assert_eq!(
        s.library_document("ld2")
            .await
            .expect("read")
            .expect("ld2")
            .title,
        "Statut gminy"
    );
    let ids = |w: &'static str| async move {
        s.search(&find(w))
            .await
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.item_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("statut").await, ["ld2"]);
    assert_eq!(ids("najmu").await, ["ld2"], "its text still finds it");
    // Removed: not while held or linked; then with its versions and out of the index.
    s.library_check_out("ld2", "u7", 47, &ev("library.checkout"))
        .await
        .expect("out");
    assert!(!s
        .remove_library_document("ld2", &ev("library.remove"))
        .await
        .expect("held"));
    s.library_check_in("ld2", "u7", None, &ev("library.checkin"))
        .await
        .expect("in");
    s.link_document(
        &LibraryLink {
            document_id: "ld2".into(),
            ..link.clone()
        },
        &ev("library.link"),
    )
    .await
    .expect("linked");
    assert!(!s
        .remove_library_document("ld2", &ev("library.remove"))
        .await
        .expect("linked"));
    assert_eq!(s.library_versions("ld2").await.expect("kept").len(), 1);
    s.unlink_document("ld2", "case", "c00", &ev("library.unlink"))
        .await
        .expect("unlinked");
    assert!(s
        .remove_library_document("ld2", &ev("library.remove"))
        .await
        .expect("removed"));
    assert!(s.library_document("ld2").await.expect("read").is_none());
    assert!(s.library_versions("ld2").await.expect("none").is_empty());
    assert!(ids("statut").await.is_empty());
    // A folder goes only empty, its shares with it.
    s.share_folder(&share("read"), &ev("library.share"))
        .await
        .expect("share");
    assert!(!s
        .remove_folder("f1", &ev("library.remove_folder"))
        .await
        .expect("holds f2"));
    assert_eq!(s.folder_shares("f1").await.expect("kept").len(), 1);
    assert!(s
        .remove_folder("f4", &ev("library.remove_folder"))
        .await
        .expect("empty"));
    assert!(s.folder("f4").await.expect("read").is_none());
}

#[tokio::test]
async fn appointments_are_never_overbooked_and_expired_holds_free_their_place() {
    use okienko_store::{Appointment, NewHold, PublicService, Schedule, Taken};
    let stores = fresh_stores().await;
    for f in &stores {
        let s = &f.store;
        let office = Office {
            id: "o1".into(),
            name: "Urząd".into(),
            nip: "5260001246".into(),
            regon: "123456785".into(),
            street: "Rynek 1".into(),
            postal_code: "00-001".into(),
            city: "Przykładowo".into(),
            created_at: 1,
        };
        s.create_office(&office, &ev("office.create"))
            .await
            .expect("office");
        let service = PublicService {
            id: "sv1".into(),
            office_id: "o1".into(),
            code: "A".into(),
            name_folded: "dowod".into(),
            spec: "{}".into(),
            search: "dowod".into(),
            tags: String::new(),
            created_at: 1,
            updated_at: 1,
            form_version: None,
        };
        s.save_services(&[service], &ev("catalogue.import"))
            .await
            .expect("service");
        let schedule = Schedule {
            id: "sc1".into(),
            office_id: "o1".into(),
            service_id: "sv1".into(),
            place_kind: "department".into(),
            place_id: "d1".into(),
            place_name: "Wydział".into(),
            place_address: "Rynek 1".into(),
            spec: "{}".into(),
            slots_until: "2100-01-10".into(),
            created_at: 1,
            updated_at: 1,
        };
        // 10 slots of 2 places: 20 places.
        let hour = 3_600_000i64;
        let slots: Vec<_> = (0..10)
            .map(|i| {
                (
                    format!("sl{i}"),
                    10 * hour + i * hour,
                    11 * hour + i * hour,
                    2,
                )
            })
            .collect();
        s.save_schedule(&schedule, &slots, 0, &ev("appointments.schedule"))
            .await
            .expect("schedule");
        // 500 people, each asks for a place in one of the slots, all at once.
        for i in 0..500 {
            s.create_user(
                &user(&format!("p{i}"), &format!("p{i}@x.pl")),
                &[],
                &ev("user.create"),
            )
            .await
            .expect("user");
        }
        let now = 1_000i64;
        let hold = |i: usize, at: i64| NewHold {
            appointment: Appointment {
                id: format!("a{i}-{at}"),
                code: format!("C{i:05}{}", at % 97),
                slot_id: format!("sl{}", i % 10),
                schedule_id: "sc1".into(),
                service_id: "sv1".into(),
                user_id: format!("p{i}"),
                status: "held".into(),
                place_until: Some(at + 600_000),
                starts_at: 10 * hour + (i % 10) as i64 * hour,
                created_at: at,
                ..Default::default()
            },
            max_active: 2,
            audit: ev("appointment.hold"),
            job: None,
        };
        let answers = futures_join_all((0..500).map(|i| {
            let h = hold(i, now);
            async move { s.take_places(std::slice::from_ref(&h), now).await }
        }))
        .await;
        let mut yes = 0;
        for a in &answers {
            match a.as_ref().expect("answered").as_slice() {
                [Taken::Yes] => yes += 1,
                [Taken::Full] => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(yes, 20, "exactly the 20 places are taken");
        for i in 0..10 {
            let slot = s
                .slot(&format!("sl{i}"))
                .await
                .expect("read")
                .expect("slot");
            assert_eq!((slot.taken, slot.capacity), (2, 2));
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM appointments")
            .fetch_one(s.raw_pool())
            .await
            .expect("count")
            .try_get("n")
            .expect("n");
        assert_eq!(n, 20);
        // Ten minutes later the holds have expired: a new hold takes the place of one of them.
        let later = now + 600_001;
        let fresh = NewHold {
            appointment: Appointment {
                user_id: "p499".into(),
                id: "late".into(),
                code: "LATE0001".into(),
                ..hold(499, later).appointment
            },
            ..hold(499, later)
        };
        assert_eq!(
            s.take_places(&[fresh], later).await.expect("late hold"),
            [Taken::Yes]
        );
        // The sweep frees all other expired holds; confirming an expired hold fails.
        let freed = s.release_places(later).await.expect("sweep");
        assert!(freed >= 18, "freed {freed}");
        let held = answers
            .iter()
            .enumerate()
            .find(|(_, a)| matches!(a.as_ref().map(Vec::as_slice), Ok([Taken::Yes])))
            .map(|(i, _)| format!("a{i}-{now}"))
            .expect("a hold");
        assert!(!s
            .confirm_appointment(&held, later, &ev("appointment.confirm"))
            .await
            .expect("confirm"));
        let total: i64 =
            sqlx::query("SELECT CAST(SUM(taken) AS BIGINT) AS n FROM appointment_slots")
                .fetch_one(s.raw_pool())
                .await
                .expect("sum")
                .try_get("n")
                .expect("n");
        assert_eq!(total, 1, "only the late hold keeps a place");
        // Hoarding: one person, three holds of the same service, two allowed.
        let mine = |k: usize| NewHold {
            appointment: Appointment {
                id: format!("m{k}"),
                code: format!("MINE000{k}"),
                slot_id: format!("sl{k}"),
                user_id: "p0".into(),
                place_until: None,
                status: "booked".into(),
                ..hold(0, later).appointment
            },
            ..hold(0, later)
        };
        assert_eq!(
            s.take_places(&[mine(1), mine(2), mine(3)], later)
                .await
                .expect("mine"),
            [Taken::Yes, Taken::Yes, Taken::TooMany]
        );
        // Cancelled: the place comes back at its release time, not before.
        assert!(s
            .cancel_appointment("m1", later, later + 300_000, &ev("appointment.cancel"))
            .await
            .expect("cancel"));
        assert_eq!(s.release_places(later + 1).await.expect("sweep"), 0);
        assert_eq!(s.release_places(later + 300_000).await.expect("sweep"), 1);
        // Moved: the new slot's place is taken, the old one freed.
        assert_eq!(
            s.move_appointment("m2", "sl5", later, &ev("appointment.move"))
                .await
                .expect("move"),
            Taken::Yes
        );
        let moved = s.appointment("m2").await.expect("read").expect("there");
        assert_eq!((moved.slot_id.as_str(), moved.sequence), ("sl5", 1));
        assert_eq!(s.slot("sl2").await.expect("r").expect("s").taken, 0);
        // The queue: a check-in and a walk-in are numbered in the database, called in turn.
        let t1 = s
            .check_in_appointment("m2", "department:d1", "2100-01-01", later)
            .await
            .expect("check in")
            .expect("ticket");
        assert!(s
            .check_in_appointment("m2", "department:d1", "2100-01-01", later)
            .await
            .expect("again")
            .is_none());
        let t2 = s
            .walk_in("department:d1", "2100-01-01", None, later + 1)
            .await
            .expect("walk in");
        assert_eq!((t1.label.as_str(), t2.label.as_str()), ("A001", "B002"));
        let called = s
            .call_next(
                "department:d1",
                "2100-01-01",
                "p1",
                "3",
                later + 60_000,
                &ev("queue.call"),
            )
            .await
            .expect("call")
            .expect("a ticket");
        assert_eq!(called.id, t1.id);
        assert!(s
            .finish_ticket(&called.id, "no-show", later + 61_000, &ev("queue.finish"))
            .await
            .expect("finish"));
        assert_eq!(
            s.no_shows_of("p0", 0).await.expect("no-shows"),
            [moved.starts_at]
        );
        let days = s
            .wait_days("department:d1", "2100-01-01")
            .await
            .expect("waits");
        assert_eq!((days[0].called, days[0].max_wait_ms), (1, 60_000));
        // A closure: the schedule again without sl7's hour. Its booking is stranded, and once
        // cancelled its place does not come back to be booked.
        let booked = NewHold {
            appointment: Appointment {
                id: "c7".into(),
                code: "CLOSED07".into(),
                slot_id: "sl7".into(),
                user_id: "p1".into(),
                status: "booked".into(),
                place_until: None,
                starts_at: 17 * hour,
                ..hold(1, later).appointment
            },
            ..hold(1, later)
        };
        assert_eq!(
            s.take_places(&[booked], later).await.expect("booked"),
            [Taken::Yes]
        );
        let kept: Vec<_> = slots.iter().filter(|x| x.0 != "sl7").cloned().collect();
        s.save_schedule(&schedule, &kept, 0, &ev("appointments.schedule"))
            .await
            .expect("schedule again");
        let stranded = s.stranded_appointments("sc1", 0).await.expect("stranded");
        assert_eq!(
            stranded.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            ["c7"]
        );
        assert!(s
            .cancel_appointment("c7", later, later, &ev("appointment.closed"))
            .await
            .expect("cancel"));
        s.release_places(later).await.expect("sweep");
        let sl7 = s
            .slot("sl7")
            .await
            .expect("read")
            .expect("kept, it was booked");
        assert_eq!((sl7.taken, sl7.capacity), (0, 0));
        assert!(s
            .stranded_appointments("sc1", 0)
            .await
            .expect("none")
            .is_empty());
        // Narrowed by officials away: a new slot sl10 of two places offers none while it
        // holds one booking. The booking keeps its place; given back, the place is not
        // offered again; the officials back, both are.
        let places = |n: i64| -> Vec<_> {
            let mut v = kept.clone();
            v.push(("sl10".to_string(), 20 * hour, 21 * hour, n));
            v
        };
        s.save_schedule(&schedule, &places(2), 0, &ev("appointments.schedule"))
            .await
            .expect("sl10");
        let c8 = NewHold {
            appointment: Appointment {
                id: "c8".into(),
                code: "NARROW08".into(),
                slot_id: "sl10".into(),
                user_id: "p1".into(),
                status: "booked".into(),
                place_until: None,
                starts_at: 20 * hour,
                ..hold(1, later).appointment
            },
            ..hold(1, later)
        };
        assert_eq!(
            s.take_places(&[c8], later).await.expect("booked"),
            [Taken::Yes]
        );
        s.save_schedule(&schedule, &places(0), 0, &ev("appointments.schedule"))
            .await
            .expect("narrowed");
        let sl10 = s.slot("sl10").await.expect("read").expect("sl10");
        assert_eq!((sl10.taken, sl10.capacity), (1, 1));
        assert!(s
            .cancel_appointment("c8", later, later, &ev("appointment.cancel"))
            .await
            .expect("cancel"));
        s.release_places(later).await.expect("sweep");
        let sl10 = s.slot("sl10").await.expect("read").expect("sl10");
        assert_eq!((sl10.taken, sl10.capacity), (0, 0));
        s.save_schedule(&schedule, &places(2), 0, &ev("appointments.schedule"))
            .await
            .expect("widened");
        let sl10 = s.slot("sl10").await.expect("read").expect("sl10");
        assert_eq!((sl10.taken, sl10.capacity), (0, 2));
        // The times away themselves: found by overlap, removed by their own person only.
        use okienko_store::AwayTime;
        let away = |id: &str, user: &str, from: i64, to: i64| AwayTime {
            id: id.into(),
            user_id: user.into(),
            starts_at: from,
            ends_at: to,
            note: "Szkolenie".into(),
            created_at: 1,
        };
        s.add_away(&away("a1", "p0", 10, 20), &ev("availability.away"))
            .await
            .expect("a1");
        s.add_away(&away("a2", "p1", 15, 30), &ev("availability.away"))
            .await
            .expect("a2");
        let both = ["p0".to_string(), "p1".to_string()];
        assert_eq!(s.aways(&both, 0, 100).await.expect("all").len(), 2);
        assert_eq!(s.aways(&both, 20, 25).await.expect("one")[0].id, "a2");
        assert!(s.aways(&both, 30, 40).await.expect("none").is_empty());
        assert!(!s
            .remove_away("a1", "p1", &ev("availability.back"))
            .await
            .expect("not theirs"));
        assert!(s
            .remove_away("a1", "p0", &ev("availability.back"))
            .await
            .expect("removed"));
        assert_eq!(s.aways(&both, 0, 100).await.expect("left").len(), 1);
        verify(s).await.expect("audit chain intact");
    }
    drop_all(stores).await;
}
