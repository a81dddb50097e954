//! Migrations: one ordered list of portable SQL files, applied in a transaction each and
//! recorded in `schema_migrations`. The same files run on both backends.

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "evidence_log",
        sql: include_str!("../migrations/0002_evidence_log.sql"),
    },
    Migration {
        version: 3,
        name: "mailboxes",
        sql: include_str!("../migrations/0003_mailboxes.sql"),
    },
    Migration {
        version: 4,
        name: "messages",
        sql: include_str!("../migrations/0004_messages.sql"),
    },
    Migration {
        version: 5,
        name: "paper",
        sql: include_str!("../migrations/0005_paper.sql"),
    },
    Migration {
        version: 6,
        name: "threads_archive",
        sql: include_str!("../migrations/0006_threads_archive.sql"),
    },
    Migration {
        version: 7,
        name: "trusted_profiles",
        sql: include_str!("../migrations/0007_trusted_profiles.sql"),
    },
    Migration {
        version: 8,
        name: "counter_visits",
        sql: include_str!("../migrations/0008_counter_visits.sql"),
    },
    Migration {
        version: 9,
        name: "cash_receipts",
        sql: include_str!("../migrations/0009_cash_receipts.sql"),
    },
    Migration {
        version: 10,
        name: "blob_packs",
        sql: include_str!("../migrations/0010_blob_packs.sql"),
    },
    Migration {
        version: 11,
        name: "message_body_blobs",
        sql: include_str!("../migrations/0011_message_body_blobs.sql"),
    },
    Migration {
        version: 12,
        name: "one_pesel_one_person",
        sql: include_str!("../migrations/0012_one_pesel_one_person.sql"),
    },
    Migration {
        version: 13,
        name: "login_attempts",
        sql: include_str!("../migrations/0013_login_attempts.sql"),
    },
    Migration {
        version: 14,
        name: "notices",
        sql: include_str!("../migrations/0014_notices.sql"),
    },
    Migration {
        version: 15,
        name: "receipt_numbers",
        sql: include_str!("../migrations/0015_receipt_numbers.sql"),
    },
    Migration {
        version: 16,
        name: "session_devices",
        sql: include_str!("../migrations/0016_session_devices.sql"),
    },
    Migration {
        version: 17,
        name: "visit_history",
        sql: include_str!("../migrations/0017_visit_history.sql"),
    },
    Migration {
        version: 18,
        name: "receipt_voids",
        sql: include_str!("../migrations/0018_receipt_voids.sql"),
    },
    Migration {
        version: 19,
        name: "walk_in_payments",
        sql: include_str!("../migrations/0019_walk_in_payments.sql"),
    },
    Migration {
        version: 20,
        name: "catalogue",
        sql: include_str!("../migrations/0020_catalogue.sql"),
    },
    Migration {
        version: 21,
        name: "forms",
        sql: include_str!("../migrations/0021_forms.sql"),
    },
    Migration {
        version: 22,
        name: "payments",
        sql: include_str!("../migrations/0022_payments.sql"),
    },
    Migration {
        version: 23,
        name: "service_words",
        sql: include_str!("../migrations/0023_service_words.sql"),
    },
    Migration {
        version: 24,
        name: "submission_departments",
        sql: include_str!("../migrations/0024_submission_departments.sql"),
    },
    Migration {
        version: 25,
        name: "submission_exports",
        sql: include_str!("../migrations/0025_submission_exports.sql"),
    },
    Migration {
        version: 26,
        name: "profile_addresses",
        sql: include_str!("../migrations/0026_profile_addresses.sql"),
    },
    Migration {
        version: 27,
        name: "payment_channels",
        sql: include_str!("../migrations/0027_payment_channels.sql"),
    },
    Migration {
        version: 28,
        name: "job_handover",
        sql: include_str!("../migrations/0028_job_handover.sql"),
    },
    Migration {
        version: 29,
        name: "cases",
        sql: include_str!("../migrations/0029_cases.sql"),
    },
    Migration {
        version: 30,
        name: "decisions",
        sql: include_str!("../migrations/0030_decisions.sql"),
    },
    Migration {
        version: 31,
        name: "case_delay",
        sql: include_str!("../migrations/0031_case_delay.sql"),
    },
    Migration {
        version: 32,
        name: "case_documents",
        sql: include_str!("../migrations/0032_case_documents.sql"),
    },
    Migration {
        version: 33,
        name: "search",
        sql: include_str!("../migrations/0033_search.sql"),
    },
    Migration {
        version: 34,
        name: "case_places",
        sql: include_str!("../migrations/0034_case_places.sql"),
    },
    Migration {
        version: 35,
        name: "archive",
        sql: include_str!("../migrations/0035_archive.sql"),
    },
    Migration {
        version: 36,
        name: "register_scans",
        sql: include_str!("../migrations/0036_register_scans.sql"),
    },
    Migration {
        version: 37,
        name: "substitutes",
        sql: include_str!("../migrations/0037_substitutes.sql"),
    },
    Migration {
        version: 38,
        name: "case_tasks",
        sql: include_str!("../migrations/0038_case_tasks.sql"),
    },
    Migration {
        version: 39,
        name: "archive_transfers",
        sql: include_str!("../migrations/0039_archive_transfers.sql"),
    },
    Migration {
        version: 40,
        name: "blob_garbage",
        sql: include_str!("../migrations/0040_blob_garbage.sql"),
    },
    Migration {
        version: 41,
        name: "appointments",
        sql: include_str!("../migrations/0041_appointments.sql"),
    },
    Migration {
        version: 42,
        name: "task_board",
        sql: include_str!("../migrations/0042_task_board.sql"),
    },
    Migration {
        version: 43,
        name: "library",
        sql: include_str!("../migrations/0043_library.sql"),
    },
    Migration {
        version: 44,
        name: "availability",
        sql: include_str!("../migrations/0044_availability.sql"),
    },
];
