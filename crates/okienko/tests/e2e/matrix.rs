//! The authorization matrix: every route of the web and API layers, for every role and for
//! someone of another office, answered as the policy says. A route added to the code but
//! not to this table fails the test.

use crate::common::TestServer;
use okienko_domain::audit::AuditEvent;
use okienko_domain::{Role, RoleGrant};
use okienko_store::{Department, Office, ServicePoint, User};
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Who {
    Anonymous,
    PlatformAdmin,
    OfficeAdmin,
    OfficialOr,
    OfficialGk,
    Clerk,
    Citizen,
    OtherCitizen,
    Business,
    /// An official of a second office.
    OtherOfficial,
}

pub(crate) const EVERYONE: [Who; 10] = [
    Who::Anonymous,
    Who::PlatformAdmin,
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
    Who::Clerk,
    Who::Citizen,
    Who::OtherCitizen,
    Who::Business,
    Who::OtherOfficial,
];

pub(crate) fn login(w: Who) -> Option<&'static str> {
    Some(match w {
        Who::Anonymous => return None,
        Who::PlatformAdmin => "admin@okienko.test",
        Who::OfficeAdmin => "urzad.admin@okienko.test",
        Who::OfficialOr => "anna.nowak@okienko.test",
        Who::OfficialGk => "piotr.zielinski@okienko.test",
        Who::Clerk => "kasia.poczta@okienko.test",
        Who::Citizen => "jan.kowalski@okienko.test",
        Who::OtherCitizen => "maria.wisniewska@okienko.test",
        Who::Business => "firma@okienko.test",
        Who::OtherOfficial => "inny.urzednik@okienko.test",
    })
}

/// What a route answers: `ok` for those allowed, 404 for other signed-in people, and for
/// anonymous visitors a redirect to sign in (pages) or 401 (API).
pub(crate) struct Row {
    pub(crate) method: &'static str,
    /// The path as registered in the router.
    pub(crate) route: &'static str,
    pub(crate) allowed: &'static [Who],
    pub(crate) ok: u16,
    pub(crate) public: bool,
}

const ALL_SIGNED_IN: &[Who] = &[
    Who::PlatformAdmin,
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
    Who::Clerk,
    Who::Citizen,
    Who::OtherCitizen,
    Who::Business,
    Who::OtherOfficial,
];
const PA: &[Who] = &[Who::PlatformAdmin];
const OFFICE1_MANAGERS: &[Who] = &[Who::PlatformAdmin, Who::OfficeAdmin];
const OFFICE1_STAFF: &[Who] = &[
    Who::PlatformAdmin,
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
];
const POINT1: &[Who] = &[Who::PlatformAdmin, Who::Clerk];
/// The office's mailbox: Anna by membership, every official of the office by role, the
/// office admin to read.
const OFFICE1_MAILBOX: &[Who] = &[Who::OfficeAdmin, Who::OfficialOr, Who::OfficialGk];
/// The office admin reads the office's mailbox; officials also send from it.
const OFFICE1_SENDERS: &[Who] = &[Who::OfficialOr, Who::OfficialGk];
/// Jan sent the test message to the office's mailbox.
const MESSAGE_PARTIES: &[Who] = &[
    Who::Citizen,
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
];
const CLERK1: &[Who] = &[Who::Clerk];
/// Who confirms identities: clerks at their post office, officials at their office.
const COUNTER: &[Who] = &[
    Who::OfficialOr,
    Who::OfficialGk,
    Who::Clerk,
    Who::OtherOfficial,
];
const CITIZENS: &[Who] = &[Who::Citizen, Who::OtherCitizen];
const JAN: &[Who] = &[Who::Citizen];
/// Jan's submission (ZAM-1, handled by the OR department): Jan, and who handles the
/// office's OR submissions (not Piotr of GK).
const SUBMISSION_READERS: &[Who] = &[
    Who::PlatformAdmin,
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::Citizen,
];
/// Who handles the office's OR submissions.
const OR_HANDLERS: &[Who] = &[Who::PlatformAdmin, Who::OfficeAdmin, Who::OfficialOr];
/// Anna sent the paper letter from the office mailbox; Kasia's post office prints it.
const LETTER_PARTIES: &[Who] = &[
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
    Who::Clerk,
];
/// Who works the office's cases (its admin and its officials; not the platform's admins).
const CASE_WORKERS: &[Who] = &[Who::OfficeAdmin, Who::OfficialOr, Who::OfficialGk];
/// An OR department case: its officials and the office admin.
const OR_CASE: &[Who] = &[Who::OfficeAdmin, Who::OfficialOr];
const ADMIN1: &[Who] = &[Who::OfficeAdmin];
/// Everyone who works for an office or a post office.
const STAFF: &[Who] = &[
    Who::PlatformAdmin,
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
    Who::Clerk,
    Who::OtherOfficial,
];
/// The officials (not the office's admin, who is not one).
const OFFICIALS: &[Who] = &[Who::OfficialOr, Who::OfficialGk, Who::OtherOfficial];
const ANY_OFFICIAL: &[Who] = &[
    Who::OfficeAdmin,
    Who::OfficialOr,
    Who::OfficialGk,
    Who::OtherOfficial,
];

pub(crate) fn table() -> Vec<Row> {
    let r = |method, route, allowed, ok| Row {
        method,
        route,
        allowed,
        ok,
        public: false,
    };
    let public = |method, route, ok| Row {
        method,
        route,
        allowed: &EVERYONE,
        ok,
        public: true,
    };
    vec![
        public("GET", "/", 200),
        public("GET", "/static/style.css", 200),
        public("GET", "/static/map.js", 200),
        public("GET", "/static/leaflet/leaflet.js", 200),
        public("GET", "/static/leaflet/leaflet.css", 200),
        public("GET", "/static/leaflet/images/{name}", 200),
        public("GET", "/healthz", 200),
        public("GET", "/readyz", 200),
        public("GET", "/metrics", 200),
        public("GET", "/api/v1/openapi.json", 200),
        public("GET", "/login", 200),
        public("POST", "/login", 422),
        public("GET", "/register", 200),
        public("POST", "/register", 422),
        public("GET", "/verify-email", 400),
        public("GET", "/verify-email/resend", 200),
        public("POST", "/verify-email/resend", 422),
        public("GET", "/password/forgot", 200),
        public("POST", "/password/forgot", 422),
        public("GET", "/password/reset", 200),
        public("POST", "/password/reset", 422),
        public("POST", "/api/v1/auth/token", 422),
        public("GET", "/verify", 200),
        public("GET", "/accessibility", 200),
        public("GET", "/privacy", 200),
        public("GET", "/contact", 200),
        public("GET", "/addresses", 200),
        public("GET", "/api/v1/addresses", 200),
        public("GET", "/services", 200),
        public("GET", "/services/{id}", 200),
        public("GET", "/api/v1/services", 200),
        public("GET", "/api/v1/services/{id}", 200),
        // To the compose page, or back to the service's page to say a mailbox is needed.
        r("GET", "/services/{id}/apply", ALL_SIGNED_IN, 303),
        // Filling a form: starts (or goes on with) one's draft; Jan's draft and submission.
        r("POST", "/services/{id}/form", ALL_SIGNED_IN, 303),
        r("GET", "/submissions", ALL_SIGNED_IN, 200),
        r("GET", "/drafts/{id}", JAN, 303),
        r("GET", "/drafts/{id}/steps/{step}", JAN, 200),
        // Not a multipart form: refused, nothing changes.
        r("POST", "/drafts/{id}/steps/{step}", JAN, 422),
        // Answers still missing: back to the step that asks them.
        r("GET", "/drafts/{id}/check", JAN, 303),
        r("POST", "/drafts/{id}/submit", JAN, 303),
        // Confirmed: the draft is deleted (the last row that uses it).
        r("POST", "/drafts/{id}/discard", JAN, 303),
        r("GET", "/submissions/{reference}", SUBMISSION_READERS, 200),
        // No status named: refused, nothing changes.
        r("POST", "/submissions/{reference}/status", OR_HANDLERS, 422),
        r("GET", "/offices/{id}/submissions", OFFICE1_STAFF, 200),
        // No format named: refused, nothing queued.
        r(
            "POST",
            "/services/{id}/submissions/export",
            OR_HANDLERS,
            422,
        ),
        r("GET", "/submission-exports/{id}", OR_HANDLERS, 200),
        r("GET", "/submission-exports/{id}/download", OR_HANDLERS, 200),
        // Jan's submission waits for its fee: to the payment provider (the simulator).
        r("POST", "/submissions/{reference}/pay", JAN, 303),
        // The same over the API: the pending transaction again.
        r("POST", "/api/v1/submissions/{reference}/payment", JAN, 201),
        // The whole office's payments: not an official placed in a department.
        r("GET", "/offices/{id}/payments", OFFICE1_MANAGERS, 200),
        r("GET", "/cases", CASE_WORKERS, 200),
        // Nothing chosen: the form says so and nothing is opened.
        r("POST", "/cases", CASE_WORKERS, 422),
        r("GET", "/cases/new", CASE_WORKERS, 200),
        r("GET", "/cases/{id}", OR_CASE, 200),
        // No official chosen, no reason given: refused, nothing changes.
        r("POST", "/cases/{id}/assign", OR_CASE, 422),
        r("POST", "/cases/{id}/suspend", OR_CASE, 422),
        // The case is open, not suspended.
        r("POST", "/cases/{id}/resume", OR_CASE, 422),
        // Confirmed (the table answers yes): closed.
        r("POST", "/cases/{id}/close", OR_CASE, 303),
        // Jan's OR submission: registered, then on to open its case.
        r("POST", "/submissions/{reference}/register", OR_CASE, 303),
        r("GET", "/offices/{id}/jrwa", CASE_WORKERS, 200),
        r("GET", "/offices/{id}/register", CASE_WORKERS, 200),
        r("GET", "/api/v1/offices/{id}/register", CASE_WORKERS, 200),
        // Paper letters: the form for those who work the office's cases; not multipart, so
        // refused with nothing registered. A fresh OR letter registered by Anna is read.
        r("GET", "/offices/{id}/register/paper", CASE_WORKERS, 200),
        r("POST", "/offices/{id}/register/paper", CASE_WORKERS, 422),
        r("GET", "/register-entries/{id}", OR_CASE, 200),
        r("GET", "/register-entries/{id}/scan", OR_CASE, 200),
        r("GET", "/register-entries/{id}/scan/signature", OR_CASE, 200),
        // An empty body: refused before anything is looked at.
        r(
            "POST",
            "/api/v1/offices/{id}/register/paper",
            ALL_SIGNED_IN,
            422,
        ),
        r("GET", "/api/v1/register-entries/{id}", OR_CASE, 200),
        r("GET", "/api/v1/register-entries/{id}/scan", OR_CASE, 200),
        r(
            "GET",
            "/api/v1/register-entries/{id}/scan/signature",
            OR_CASE,
            200,
        ),
        // An empty list: refused, nothing changes.
        r("POST", "/offices/{id}/jrwa", ADMIN1, 422),
        r("GET", "/api/v1/cases", CASE_WORKERS, 200),
        // Nothing asked: nothing found, for those who work cases.
        r("GET", "/search", CASE_WORKERS, 200),
        r("GET", "/api/v1/search", CASE_WORKERS, 200),
        // Case places: the map and its export for those who work cases; a fresh OR case's
        // place (set beforehand where it is read or removed).
        r("GET", "/cases/map", CASE_WORKERS, 200),
        r("GET", "/cases/map.geojson", CASE_WORKERS, 200),
        r("GET", "/api/v1/cases/places", CASE_WORKERS, 200),
        // Nothing given: refused, the place stays.
        r("POST", "/cases/{id}/place", OR_CASE, 422),
        r("POST", "/cases/{id}/place/remove", OR_CASE, 303),
        r("GET", "/api/v1/cases/{id}/place", OR_CASE, 200),
        r("PUT", "/api/v1/cases/{id}/place", ALL_SIGNED_IN, 422),
        r("DELETE", "/api/v1/cases/{id}/place", OR_CASE, 204),
        // The archive: its admin (no official of the demo office works the whole office);
        // nothing ticked: refused. A fresh list prepared by Anna: the admin reviews it.
        r("GET", "/offices/{id}/archive", ADMIN1, 200),
        r("POST", "/offices/{id}/archive", ADMIN1, 422),
        r("GET", "/destruction-lists/{id}", ADMIN1, 200),
        r("POST", "/destruction-lists/{id}", ADMIN1, 303),
        r("GET", "/api/v1/offices/{id}/archive", ADMIN1, 200),
        // No category A case of the demo office is 25 years closed: nothing to transfer (the
        // archive page again, with why). A transfer made earlier downloads again.
        r("POST", "/offices/{id}/archive/transfers", ADMIN1, 422),
        r("GET", "/api/v1/offices/{id}/archive/transfers", ADMIN1, 200),
        r(
            "POST",
            "/api/v1/offices/{id}/archive/transfers",
            ADMIN1,
            409,
        ),
        r("GET", "/archive-transfers/{id}/package", ADMIN1, 200),
        r("GET", "/api/v1/archive-transfers/{id}/package", ADMIN1, 200),
        r("GET", "/api/v1/offices/{id}/destruction-lists", ADMIN1, 200),
        // An empty body: refused before anything is looked at.
        r(
            "POST",
            "/api/v1/offices/{id}/destruction-lists",
            ALL_SIGNED_IN,
            422,
        ),
        r("GET", "/api/v1/destruction-lists/{id}", ADMIN1, 200),
        r(
            "POST",
            "/api/v1/destruction-lists/{id}/decision",
            ALL_SIGNED_IN,
            422,
        ),
        // Tasks: a fresh one Anna gave Piotr on a fresh OR case (a task, so no answer is
        // needed); empty forms and bodies are refused.
        r("POST", "/cases/{id}/tasks", OR_CASE, 422),
        r("GET", "/tasks", ANY_OFFICIAL, 200),
        r("GET", "/tasks/{id}", CASE_WORKERS, 200),
        r("POST", "/tasks/{id}/answer", &[Who::OfficialGk], 303),
        r("POST", "/tasks/{id}/cancel", OR_CASE, 303),
        r("GET", "/tasks/new", ANY_OFFICIAL, 200),
        r("POST", "/tasks", ANY_OFFICIAL, 422),
        r("POST", "/tasks/{id}/start", &[Who::OfficialGk], 303),
        r("POST", "/tasks/{id}/reassign", CASE_WORKERS, 422),
        r("POST", "/tasks/{id}/comments", CASE_WORKERS, 422),
        r("GET", "/offices/{id}/departments/{dept}/tasks", ADMIN1, 200),
        r("GET", "/library", ANY_OFFICIAL, 200),
        r(
            "GET",
            "/offices/{id}/departments/{dept}/library",
            ADMIN1,
            200,
        ),
        r("POST", "/library/folders", &[], 404),
        r("GET", "/library/folders/{id}", OR_CASE, 200),
        r("POST", "/library/folders/{id}/shares", OR_CASE, 422),
        r("POST", "/library/folders/{id}/unshare", &[], 404),
        r("POST", "/library/folders/{id}/name", OR_CASE, 422),
        r("POST", "/library/folders/{id}/remove", OR_CASE, 303),
        r("POST", "/library/documents", ALL_SIGNED_IN, 422),
        r("GET", "/library/documents/{id}", OR_CASE, 200),
        r("POST", "/library/documents/{id}/checkout", OR_CASE, 303),
        r("POST", "/library/documents/{id}/release", OR_CASE, 422),
        r("POST", "/library/documents/{id}/links", OR_CASE, 422),
        r("POST", "/library/documents/{id}/unlink", &[], 404),
        r("POST", "/library/documents/{id}/title", OR_CASE, 422),
        r("POST", "/library/documents/{id}/remove", OR_CASE, 303),
        r("POST", "/library/documents/{id}/checkin", OR_CASE, 422),
        r("GET", "/library/documents/{id}/versions/{n}", OR_CASE, 200),
        r("GET", "/api/v1/library", ANY_OFFICIAL, 200),
        r(
            "GET",
            "/api/v1/offices/{id}/departments/{dept}/library",
            ADMIN1,
            200,
        ),
        r("POST", "/api/v1/library/folders", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/library/folders/{id}", OR_CASE, 200),
        r("PATCH", "/api/v1/library/folders/{id}", ALL_SIGNED_IN, 422),
        r("DELETE", "/api/v1/library/folders/{id}", OR_CASE, 204),
        r(
            "POST",
            "/api/v1/library/folders/{id}/shares",
            ALL_SIGNED_IN,
            422,
        ),
        r(
            "POST",
            "/api/v1/library/folders/{id}/unshare",
            ALL_SIGNED_IN,
            422,
        ),
        r("POST", "/api/v1/library/documents", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/library/documents/{id}", OR_CASE, 200),
        r(
            "PATCH",
            "/api/v1/library/documents/{id}",
            ALL_SIGNED_IN,
            422,
        ),
        r("DELETE", "/api/v1/library/documents/{id}", OR_CASE, 204),
        r(
            "POST",
            "/api/v1/library/documents/{id}/checkout",
            OR_CASE,
            200,
        ),
        r(
            "POST",
            "/api/v1/library/documents/{id}/checkin",
            OR_CASE,
            409,
        ),
        r(
            "POST",
            "/api/v1/library/documents/{id}/release",
            OR_CASE,
            409,
        ),
        r(
            "POST",
            "/api/v1/library/documents/{id}/links",
            ALL_SIGNED_IN,
            422,
        ),
        r(
            "POST",
            "/api/v1/library/documents/{id}/unlink",
            ALL_SIGNED_IN,
            422,
        ),
        r(
            "GET",
            "/api/v1/library/documents/{id}/versions/{n}",
            OR_CASE,
            200,
        ),
        r("GET", "/api/v1/cases/{id}/tasks", OR_CASE, 200),
        r("POST", "/api/v1/cases/{id}/tasks", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/tasks", ANY_OFFICIAL, 200),
        r("GET", "/api/v1/tasks/{id}", CASE_WORKERS, 200),
        r("POST", "/api/v1/tasks/{id}/answer", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/tasks/{id}/cancel", OR_CASE, 200),
        r("POST", "/api/v1/tasks", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/tasks/{id}/start", &[Who::OfficialGk], 200),
        r("POST", "/api/v1/tasks/{id}/reassign", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/tasks/{id}/comments", CASE_WORKERS, 200),
        r("POST", "/api/v1/tasks/{id}/comments", ALL_SIGNED_IN, 422),
        r(
            "GET",
            "/api/v1/offices/{id}/departments/{dept}/tasks",
            ADMIN1,
            200,
        ),
        public("GET", "/services/{id}/appointments", 200),
        r("GET", "/appointments", ALL_SIGNED_IN, 200),
        r("POST", "/appointments/hold", ALL_SIGNED_IN, 422),
        public("POST", "/appointments/by-email", 422),
        public("GET", "/appointments/email-sent", 200),
        r("GET", "/appointments/{id}", JAN, 200),
        r("POST", "/appointments/{id}/confirm", JAN, 303),
        r("POST", "/appointments/{id}/cancel", JAN, 303),
        r("POST", "/appointments/{id}/move", JAN, 422),
        r("GET", "/appointments/{id}/ics", JAN, 200),
        r("GET", "/offices/{id}/appointments", OFFICE1_MANAGERS, 200),
        r("POST", "/offices/{id}/appointments", OFFICE1_MANAGERS, 422),
        public("GET", "/places/{key}/kiosk", 200),
        public("POST", "/places/{key}/kiosk/check-in", 422),
        public("POST", "/places/{key}/kiosk/walk-in", 303),
        public("GET", "/places/{key}/tickets/{id}", 200),
        public("GET", "/places/{key}/display", 200),
        r("GET", "/places/{key}/queue", &[Who::OfficialOr], 200),
        r("POST", "/places/{key}/queue/call", &[Who::OfficialOr], 422),
        r("GET", "/places/{key}/counter", &[Who::OfficialOr], 200),
        r("POST", "/places/{key}/counter", &[Who::OfficialOr], 422),
        r(
            "POST",
            "/places/{key}/queue/{id}/finish",
            &[Who::OfficialOr],
            303,
        ),
        r(
            "POST",
            "/places/{key}/appointments/{id}/no-show",
            &[Who::OfficialOr],
            409,
        ),
        r("GET", "/calendar", STAFF, 200),
        r("POST", "/calendar/feed", STAFF, 200),
        r("POST", "/calendar/feed/revoke", STAFF, 303),
        public("GET", "/calendar/feed/{token}", 404),
        // An official's times away: nothing typed is refused; someone else's is not found.
        r("GET", "/calendar/away", OFFICIALS, 200),
        r("POST", "/calendar/away", OFFICIALS, 422),
        r("POST", "/calendar/away/{id}/remove", OFFICIALS, 404),
        r("GET", "/api/v1/availability", OFFICIALS, 200),
        r("POST", "/api/v1/availability", OFFICIALS, 422),
        r("DELETE", "/api/v1/availability/{id}", OFFICIALS, 404),
        public("GET", "/api/v1/appointments/slots", 422),
        r("GET", "/api/v1/appointments", ALL_SIGNED_IN, 200),
        r("POST", "/api/v1/appointments", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/appointments/agenda", ALL_SIGNED_IN, 200),
        r("DELETE", "/api/v1/appointments/{id}", JAN, 204),
        // Substitutes: the office's list for those who work its cases; nothing chosen:
        // refused. A fresh coming one of Anna's (Piotr substitutes): she or the head cancels.
        r("GET", "/offices/{id}/substitutes", CASE_WORKERS, 200),
        r("POST", "/offices/{id}/substitutes", CASE_WORKERS, 422),
        r("POST", "/substitutes/{id}/cancel", OR_CASE, 303),
        r("GET", "/api/v1/offices/{id}/substitutes", CASE_WORKERS, 200),
        r(
            "POST",
            "/api/v1/offices/{id}/substitutes",
            ALL_SIGNED_IN,
            422,
        ),
        r("POST", "/api/v1/substitutes/{id}/cancel", OR_CASE, 200),
        // An empty body: refused before anything is looked at.
        r("POST", "/api/v1/cases", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/cases/{id}", OR_CASE, 200),
        r("POST", "/api/v1/cases/{id}/assign", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/cases/{id}/suspend", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/cases/{id}/resume", OR_CASE, 409),
        r("POST", "/api/v1/cases/{id}/close", OR_CASE, 200),
        r("POST", "/api/v1/cases/{id}/notes", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/cases/{id}/delay", ALL_SIGNED_IN, 422),
        // No note, no date: refused, nothing changes (the delay confirmed by the table).
        r("POST", "/cases/{id}/notes", OR_CASE, 422),
        r("POST", "/cases/{id}/delay", OR_CASE, 422),
        r(
            "POST",
            "/api/v1/submissions/{reference}/register",
            OR_CASE,
            201,
        ),
        r("GET", "/api/v1/offices/{id}/jrwa", CASE_WORKERS, 200),
        r("PUT", "/api/v1/offices/{id}/jrwa", ADMIN1, 422),
        // Decisions: a fresh one of a fresh OR case, in the state each act starts from.
        r("POST", "/cases/{id}/decisions", OR_CASE, 422),
        r("GET", "/cases/{id}/file", OR_CASE, 200),
        r("POST", "/decisions/{id}/edit", OR_CASE, 422),
        r("POST", "/decisions/{id}/submit", OR_CASE, 303),
        r("POST", "/decisions/{id}/approve", ADMIN1, 303),
        r("POST", "/decisions/{id}/return", ADMIN1, 303),
        // Confirmed: signed; not sent, for the fresh case's party has no address.
        r("POST", "/decisions/{id}/sign", OR_CASE, 303),
        r("POST", "/decisions/{id}/dispatch", OR_CASE, 422),
        r("GET", "/decisions/{id}/document", OR_CASE, 200),
        r("GET", "/decisions/{id}/signature", OR_CASE, 200),
        r("GET", "/offices/{id}/decision-templates", CASE_WORKERS, 200),
        r("POST", "/offices/{id}/decision-templates", ADMIN1, 422),
        r(
            "GET",
            "/api/v1/offices/{id}/decision-templates",
            CASE_WORKERS,
            200,
        ),
        r(
            "POST",
            "/api/v1/offices/{id}/decision-templates",
            ALL_SIGNED_IN,
            422,
        ),
        r(
            "PUT",
            "/api/v1/offices/{id}/decision-templates/{template}",
            ALL_SIGNED_IN,
            422,
        ),
        r("GET", "/api/v1/cases/{id}/decisions", OR_CASE, 200),
        r("POST", "/api/v1/cases/{id}/decisions", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/cases/{id}/file", OR_CASE, 200),
        r("GET", "/api/v1/decisions/{id}", OR_CASE, 200),
        r("PATCH", "/api/v1/decisions/{id}", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/decisions/{id}/submit", OR_CASE, 200),
        r("POST", "/api/v1/decisions/{id}/approve", ADMIN1, 200),
        r("POST", "/api/v1/decisions/{id}/return", ADMIN1, 200),
        r("POST", "/api/v1/decisions/{id}/sign", OR_CASE, 200),
        // The fresh case's party has no address and none is given: refused.
        r("POST", "/api/v1/decisions/{id}/dispatch", OR_CASE, 422),
        r("GET", "/api/v1/decisions/{id}/document", OR_CASE, 200),
        r("GET", "/api/v1/decisions/{id}/signature", OR_CASE, 200),
        // Working documents: a fresh one nobody holds. The forms are multipart (the table
        // posts a plain form: refused once the case is known to be the caller's).
        r("POST", "/cases/{id}/documents", OR_CASE, 422),
        r("POST", "/documents/{id}/checkout", OR_CASE, 303),
        r("POST", "/documents/{id}/checkin", OR_CASE, 422),
        r("POST", "/documents/{id}/release", OR_CASE, 409),
        r("GET", "/documents/{id}/versions/{n}", OR_CASE, 200),
        r("GET", "/api/v1/cases/{id}/documents", OR_CASE, 200),
        r("POST", "/api/v1/cases/{id}/documents", ALL_SIGNED_IN, 422),
        r("GET", "/api/v1/documents/{id}", OR_CASE, 200),
        r("POST", "/api/v1/documents/{id}/checkout", OR_CASE, 200),
        // Nobody holds it: not the caller's to check in or release.
        r("POST", "/api/v1/documents/{id}/checkin", OR_CASE, 409),
        r("POST", "/api/v1/documents/{id}/release", OR_CASE, 409),
        r("GET", "/api/v1/documents/{id}/versions/{n}", OR_CASE, 200),
        // The simulator is a provider's site: public; settled once, then back to the office.
        public("GET", "/payment-simulator/trnRequest/{token}", 200),
        public("POST", "/payment-simulator/trnRequest/{token}", 303),
        // Not a provider's message: refused, nothing changes.
        public("POST", "/api/v1/payments/notify", 422),
        public(
            "POST",
            "/payment-simulator/api/v1/transaction/register",
            422,
        ),
        public("PUT", "/payment-simulator/api/v1/transaction/verify", 422),
        public("GET", "/payment-simulator/api/v1/report", 422),
        public("GET", "/api/v1/services/{id}/form", 200),
        // Not multipart: refused, nothing changes.
        r(
            "POST",
            "/api/v1/services/{id}/submissions",
            ALL_SIGNED_IN,
            422,
        ),
        r(
            "GET",
            "/api/v1/submissions/{reference}",
            SUBMISSION_READERS,
            200,
        ),
        r("GET", "/services/{id}/form/edit", OFFICE1_MANAGERS, 200),
        r("GET", "/services/{id}/form/build", OFFICE1_MANAGERS, 200),
        // No definition carried: refused, nothing changes.
        r("POST", "/services/{id}/form/build", OFFICE1_MANAGERS, 422),
        // Not a multipart form: refused, nothing published.
        r("POST", "/services/{id}/form/edit", OFFICE1_MANAGERS, 422),
        r("GET", "/offices/{id}/catalogue", OFFICE1_MANAGERS, 200),
        // Not a file upload: the page says so and nothing changes.
        r("POST", "/offices/{id}/catalogue", OFFICE1_MANAGERS, 422),
        r("GET", "/offices/{id}/catalogue.csv", OFFICE1_MANAGERS, 200),
        r("GET", "/offices/{id}/catalogue.json", OFFICE1_MANAGERS, 200),
        r(
            "GET",
            "/api/v1/offices/{id}/catalogue",
            OFFICE1_MANAGERS,
            200,
        ),
        // An empty file: refused, nothing changes.
        r(
            "PUT",
            "/api/v1/offices/{id}/catalogue",
            OFFICE1_MANAGERS,
            422,
        ),
        public("POST", "/verify", 422),
        public("GET", "/trust/ca.pem", 200),
        public("GET", "/trust/tsa.pem", 200),
        public("GET", "/trust/log-key.pem", 200),
        public("GET", "/trust/crl", 200),
        public("POST", "/tsa", 415),
        public("GET", "/log/v1/sth", 200),
        public("GET", "/log/v1/proof-by-hash", 422),
        public("GET", "/log/v1/consistency", 422),
        r("POST", "/logout", ALL_SIGNED_IN, 303),
        r("GET", "/account", ALL_SIGNED_IN, 200),
        r("GET", "/account/totp", ALL_SIGNED_IN, 200),
        r("POST", "/account/totp", ALL_SIGNED_IN, 422),
        r("POST", "/account/totp/disable", ALL_SIGNED_IN, 422),
        r("GET", "/account/data-tracker", ALL_SIGNED_IN, 200),
        r("GET", "/account/name", ALL_SIGNED_IN, 200),
        r("POST", "/account/name", ALL_SIGNED_IN, 422),
        r("GET", "/account/email", ALL_SIGNED_IN, 200),
        r("POST", "/account/email", ALL_SIGNED_IN, 422),
        r("GET", "/account/password", ALL_SIGNED_IN, 200),
        r("POST", "/account/password", ALL_SIGNED_IN, 422),
        r("GET", "/account/language", ALL_SIGNED_IN, 200),
        r("POST", "/account/language", ALL_SIGNED_IN, 422),
        r("GET", "/account/sessions", ALL_SIGNED_IN, 200),
        r("POST", "/account/sessions/end", ALL_SIGNED_IN, 422),
        r("POST", "/account/sessions/end-others", ALL_SIGNED_IN, 303),
        r("GET", "/account/email/confirm", ALL_SIGNED_IN, 200),
        r("POST", "/account/email/confirm", ALL_SIGNED_IN, 400),
        r("GET", "/staff/accept", ALL_SIGNED_IN, 400),
        r("POST", "/staff/accept", ALL_SIGNED_IN, 400),
        r("GET", "/admin/offices", PA, 200),
        r("GET", "/admin/offices/new", PA, 200),
        r("POST", "/admin/offices/new", PA, 422),
        r("GET", "/admin/offices/{id}/edit", PA, 200),
        r("POST", "/admin/offices/{id}/edit", PA, 422),
        r("GET", "/admin/service-points", PA, 200),
        r("GET", "/admin/service-points/new", PA, 200),
        r("POST", "/admin/service-points/new", PA, 422),
        r("GET", "/admin/service-points/{id}/edit", PA, 200),
        r("POST", "/admin/service-points/{id}/edit", PA, 422),
        r("GET", "/admin/audit", PA, 200),
        r("GET", "/admin/users", PA, 200),
        r("GET", "/admin/users/{user}", PA, 200),
        r("POST", "/admin/users/{user}/lock", PA, 422),
        r("POST", "/admin/users/{user}/unlock", PA, 422),
        r("GET", "/offices/{id}", OFFICE1_STAFF, 200),
        r("POST", "/offices/{id}/departments", OFFICE1_MANAGERS, 422),
        r(
            "POST",
            "/offices/{id}/departments/{dept}/delete",
            OFFICE1_MANAGERS,
            303,
        ),
        r("POST", "/offices/{id}/staff", OFFICE1_MANAGERS, 422),
        r("GET", "/offices/{id}/staff/{user}", OFFICE1_MANAGERS, 200),
        // No role chosen: the form says so and nothing changes.
        r("POST", "/offices/{id}/staff/{user}", OFFICE1_MANAGERS, 422),
        r(
            "POST",
            "/offices/{id}/staff/{user}/resend",
            OFFICE1_MANAGERS,
            303,
        ),
        r(
            "POST",
            "/offices/{id}/staff/{user}/remove",
            OFFICE1_MANAGERS,
            303,
        ),
        r(
            "POST",
            "/offices/{id}/staff/{user}/reset-totp",
            OFFICE1_MANAGERS,
            303,
        ),
        r("GET", "/offices/{id}/seal.pem", OFFICE1_STAFF, 200),
        r("POST", "/offices/{id}/seal/rotate", OFFICE1_MANAGERS, 303),
        r("POST", "/offices/{id}/seal/import", OFFICE1_MANAGERS, 422),
        r("POST", "/offices/{id}/seal/revoke", OFFICE1_MANAGERS, 303),
        r(
            "POST",
            "/offices/{id}/seal/import-p12",
            OFFICE1_MANAGERS,
            422,
        ),
        r("GET", "/service-points/{id}", POINT1, 200),
        r("POST", "/service-points/{id}/clerks", PA, 422),
        r("DELETE", "/api/v1/auth/token", ALL_SIGNED_IN, 204),
        r("GET", "/api/v1/me", ALL_SIGNED_IN, 200),
        r("GET", "/api/v1/me/data-tracker", ALL_SIGNED_IN, 200),
        r("GET", "/api/v1/offices", PA, 200),
        r("POST", "/api/v1/offices", PA, 422),
        r("GET", "/api/v1/offices/{id}", OFFICE1_STAFF, 200),
        r("GET", "/api/v1/service-points", PA, 200),
        r(
            "POST",
            "/api/v1/offices/{id}/seal-signatures",
            OFFICE1_STAFF,
            422,
        ),
        r("GET", "/api/v1/addresses/lookup", ANY_OFFICIAL, 422),
        r("POST", "/api/v1/messages", ALL_SIGNED_IN, 422),
        r(
            "GET",
            "/api/v1/mailboxes/{address}/messages",
            OFFICE1_MAILBOX,
            200,
        ),
        r("GET", "/api/v1/messages/{id}", MESSAGE_PARTIES, 200),
        r(
            "PUT",
            "/api/v1/mailboxes/{address}/archive/{id}",
            OFFICE1_MAILBOX,
            204,
        ),
        r(
            "DELETE",
            "/api/v1/mailboxes/{address}/archive/{id}",
            OFFICE1_MAILBOX,
            204,
        ),
        r(
            "GET",
            "/api/v1/messages/{id}/attachments/{n}",
            MESSAGE_PARTIES,
            200,
        ),
        r(
            "GET",
            "/api/v1/messages/{id}/evidence",
            MESSAGE_PARTIES,
            200,
        ),
        r("GET", "/api/v1/evidence/{id}", MESSAGE_PARTIES, 200),
        r("GET", "/api/v1/evidence/{id}/signed", MESSAGE_PARTIES, 200),
        r("GET", "/api/v1/evidence/{id}/pdf", MESSAGE_PARTIES, 200),
        r("GET", "/mailboxes", ALL_SIGNED_IN, 200),
        r("GET", "/write", ALL_SIGNED_IN, 303),
        r("GET", "/trusted-profile", ALL_SIGNED_IN, 200),
        r("GET", "/admin/trusted-profiles", PA, 200),
        r("POST", "/admin/trusted-profiles", PA, 422),
        r("GET", "/counter/visits", CLERK1, 200),
        r("POST", "/counter/visits", CLERK1, 422),
        // Applying for a service for the visit's citizen; no service or reference named:
        // refused, nothing started.
        r("GET", "/counter/visits/{id}/apply", CLERK1, 200),
        r("POST", "/counter/visits/{id}/apply", CLERK1, 422),
        r("POST", "/counter/visits/{id}/upp", CLERK1, 422),
        r("GET", "/counter/visits/{id}", CLERK1, 200),
        r("POST", "/counter/visits/{id}/print", CLERK1, 422),
        r("POST", "/counter/visits/{id}/end", CLERK1, 303),
        r("POST", "/counter/visits/{id}/cash", CLERK1, 422),
        r("POST", "/counter/visits/{id}/fee", CLERK1, 422),
        // The visit's citizen has no mailbox in this table's world: a clear refusal.
        r("POST", "/counter/visits/{id}/send", CLERK1, 422),
        r("GET", "/counter/receipts/{id}", CLERK1, 200),
        r("GET", "/counter/receipts/{id}/pdf", CLERK1, 200),
        r("GET", "/counter/receipts/{id}/signed", CLERK1, 200),
        // No reason given: the clerk is told to give one, and nothing is voided.
        r("POST", "/counter/receipts/{id}/void", CLERK1, 422),
        r("GET", "/counter/receipts/{id}/void/signed", CLERK1, 200),
        r("GET", "/counter/cash-report", CLERK1, 200),
        r("GET", "/counter/cash", CLERK1, 200),
        r("POST", "/api/v1/counter/payments", CLERK1, 422),
        r("GET", "/api/v1/counter/receipts/{id}", CLERK1, 200),
        r("POST", "/api/v1/counter/receipts/{id}/void", CLERK1, 422),
        r("GET", "/api/v1/counter/cash-report", CLERK1, 200),
        // No payer, no amount: the clerk is told, nothing is taken.
        r("POST", "/counter/cash", CLERK1, 422),
        r("GET", "/counter/cash-report/pdf", CLERK1, 200),
        r("GET", "/signatures/trusted", ALL_SIGNED_IN, 200),
        r("POST", "/signatures/trusted", ALL_SIGNED_IN, 422),
        r("POST", "/api/v1/signatures/trusted", ALL_SIGNED_IN, 422),
        r("POST", "/trusted-profile", ALL_SIGNED_IN, 422),
        r("POST", "/trusted-profile/revoke", ALL_SIGNED_IN, 200),
        r("POST", "/trusted-profile/address", ALL_SIGNED_IN, 303),
        r("GET", "/counter/trusted-profile", COUNTER, 200),
        r("POST", "/counter/trusted-profile", COUNTER, 422),
        r("POST", "/mailboxes/open", CITIZENS, 303),
        r("GET", "/api/v1/trusted-profile", ALL_SIGNED_IN, 200),
        r(
            "POST",
            "/api/v1/trusted-profile/applications",
            ALL_SIGNED_IN,
            422,
        ),
        r(
            "POST",
            "/api/v1/counter/trusted-profile/confirmations",
            COUNTER,
            422,
        ),
        r(
            "POST",
            "/api/v1/counter/trusted-profile/refusals",
            COUNTER,
            422,
        ),
        r("POST", "/api/v1/mailboxes", CITIZENS, 200),
        r("GET", "/mailboxes/{address}", OFFICE1_MAILBOX, 200),
        r("GET", "/mailboxes/{address}/compose", OFFICE1_SENDERS, 200),
        r("POST", "/mailboxes/{address}/compose", OFFICE1_MAILBOX, 422),
        r("GET", "/mailboxes/{address}/members", OFFICE1_MANAGERS, 200),
        r(
            "POST",
            "/mailboxes/{address}/members",
            OFFICE1_MANAGERS,
            422,
        ),
        r(
            "POST",
            "/mailboxes/{address}/members/{user}/remove",
            OFFICE1_MANAGERS,
            303,
        ),
        r(
            "GET",
            "/api/v1/mailboxes/{address}/members",
            OFFICE1_MANAGERS,
            200,
        ),
        r(
            "POST",
            "/api/v1/mailboxes/{address}/members",
            OFFICE1_MANAGERS,
            422,
        ),
        r(
            "DELETE",
            "/api/v1/mailboxes/{address}/members/{user}",
            OFFICE1_MANAGERS,
            204,
        ),
        r("GET", "/messages/{id}", MESSAGE_PARTIES, 200),
        r("POST", "/messages/{id}/archive", MESSAGE_PARTIES, 303),
        r(
            "GET",
            "/messages/{id}/attachments/{n}",
            MESSAGE_PARTIES,
            200,
        ),
        r("GET", "/evidence/{id}", MESSAGE_PARTIES, 200),
        r("GET", "/evidence/{id}/signed", MESSAGE_PARTIES, 200),
        r("GET", "/evidence/{id}/pdf", MESSAGE_PARTIES, 200),
        // Hybrid paper channel: only the clerks of the point that prints the letters.
        r("GET", "/service-points/{id}/paper", CLERK1, 200),
        // Nothing waits (every fresh letter is batched at once): the desk with a notice.
        r("POST", "/service-points/{id}/paper/batches", CLERK1, 200),
        r("GET", "/print-batches/{id}", CLERK1, 200),
        r("GET", "/print-batches/{id}/pdf", CLERK1, 200),
        r("GET", "/print-batches/{id}/handover/pdf", CLERK1, 200),
        r("POST", "/print-batches/{id}/printed", CLERK1, 303),
        r("POST", "/print-batches/{id}/dispatched", CLERK1, 303),
        r("POST", "/paper-letters/{id}/outcome", CLERK1, 422),
        r("GET", "/paper-letters/{id}/pdf", LETTER_PARTIES, 200),
        public("GET", "/letters/verify", 200),
        public("GET", "/receipts/verify", 200),
        public("GET", "/activate", 200),
        public("POST", "/activate", 422),
        r("GET", "/counter/register", COUNTER, 200),
        r("POST", "/counter/register", COUNTER, 422),
        r("GET", "/counter/register/{id}", COUNTER, 200),
        r("POST", "/counter/register/{id}/sheet", COUNTER, 200),
        public("POST", "/letters/verify", 422),
        public("POST", "/letters/verify/pdf", 422),
        r("GET", "/api/v1/service-points/{id}/paper", CLERK1, 200),
        r(
            "POST",
            "/api/v1/service-points/{id}/print-batches",
            CLERK1,
            409,
        ),
        r("GET", "/api/v1/print-batches/{id}", CLERK1, 200),
        r("GET", "/api/v1/print-batches/{id}/pdf", CLERK1, 200),
        r("POST", "/api/v1/print-batches/{id}/printed", CLERK1, 200),
        r("POST", "/api/v1/print-batches/{id}/dispatched", CLERK1, 200),
        r("POST", "/api/v1/paper-letters/{id}/outcome", CLERK1, 422),
        r("GET", "/api/v1/paper-letters/{id}/pdf", LETTER_PARTIES, 200),
    ]
}

/// Every `.route("…")` registered in the web crate.
fn registered_routes() -> BTreeSet<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/src");
    let mut out = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("read");
                // `.route("/path"` or, where rustfmt breaks the line, `.route(\n "/path"`.
                for part in text.split(".route(").skip(1) {
                    if let Some(path) = part
                        .trim_start()
                        .strip_prefix('"')
                        .and_then(|p| p.split('"').next())
                    {
                        out.insert(path.to_string());
                    }
                }
            }
        }
    }
    out.remove("/api/{*rest}");
    out
}

pub(crate) struct World {
    pub(crate) t: TestServer,
    office1: String,
    point1: String,
    office_mailbox: String,
    message: String,
    evidence: String,
    /// A paper letter from the office and the print batch (still to be printed) holding it.
    letter: String,
    batch: String,
    visit_citizen: String,
    /// A service of the first office's catalogue, applied for online.
    service: String,
    /// Jan's draft of that service's form, and his submission of it.
    draft: String,
    reference: String,
    /// The simulator's transaction of the submission's fee.
    token: String,
    /// A finished export of the service's submissions.
    export: String,
    /// The place where the service is booked (the OR department).
    place: String,
}

/// Sends a fresh paper letter from the office to an address Kasia's post office serves and
/// batches it at once; returns (letter id, batch id).
async fn paper_letter(t: &TestServer, office_mailbox: &str) -> (String, String) {
    let s = &t.services;
    let anna = crate::common::principal(t, "anna.nowak@okienko.test").await;
    let kasia = crate::common::principal(t, "kasia.poczta@okienko.test").await;
    let point = s.my_paper_points(&kasia).await.expect("points").remove(0);
    let sent = s
        .send_message(
            &anna,
            okienko_services::delivery::Outgoing {
                from: office_mailbox.to_string(),
                to: vec![],
                subject: "Decyzja".into(),
                body: "Treść decyzji".into(),
                attachments: vec![],
                idempotency_key: None,
                reply_to: None,
                bulk: false,
                correctable: false,
                postal: vec![okienko_services::paper::PostalRecipient {
                    name: "Zofia Bez Skrzynki".into(),
                    street: "ul. Polna 1".into(),
                    postal_code: point.postal_code.clone(),
                    city: point.city.clone(),
                }],
            },
        )
        .await
        .expect("paper letter");
    let letter = s
        .store
        .paper_letters_of_message(&sent.id)
        .await
        .expect("letters")
        .remove(0)
        .id;
    let batch = s
        .make_print_batch(&kasia, &point.id)
        .await
        .expect("batch")
        .id;
    (letter, batch)
}

pub(crate) async fn world() -> World {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let office1 = s.store.offices().await.expect("offices").remove(0).id;
    let point1 = s.store.service_points().await.expect("points").remove(0).id;
    let ev = || AuditEvent::new(0, None, "test.setup", "matrix");
    let o2 = Office {
        id: "office-2".into(),
        name: "Urząd Miasta Innego".into(),
        nip: "1234563218".into(),
        regon: "123456785".into(),
        street: "ul. Inna 2".into(),
        postal_code: "01-001".into(),
        city: "Inne".into(),
        created_at: 0,
    };
    s.store.create_office(&o2, &ev()).await.expect("office 2");
    let p2 = ServicePoint {
        id: "point-2".into(),
        name: "UP Inne 2".into(),
        street: "ul. Inna 3".into(),
        postal_code: "01-001".into(),
        city: "Inne".into(),
        is_open: true,
        created_at: 0,
    };
    s.store
        .create_service_point(&p2, &ev())
        .await
        .expect("point 2");
    let hash = s
        .passwords
        .hash(okienko_services::demo::PASSWORD)
        .await
        .expect("hash");
    let other = User {
        id: "other-official".into(),
        email: "inny.urzednik@okienko.test".into(),
        display_name: "Inny Urzędnik".into(),
        password_hash: hash,
        email_verified: true,
        totp_secret: Some(okienko_services::demo::TOTP_SECRET.into()),
        totp_last_step: None,
        locale: None,
        disabled: false,
        created_at: 0,
    };
    let g = RoleGrant {
        role: Role::Official,
        office_id: Some("office-2".into()),
        department_id: None,
        service_point_id: None,
    };
    s.store
        .create_user(&other, &[g], &ev())
        .await
        .expect("other official");
    let office_mailbox = s
        .office_mailbox(&office1)
        .await
        .expect("office mailbox")
        .address;
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    let jan_box = s
        .my_mailboxes(&jan)
        .await
        .expect("boxes")
        .remove(0)
        .0
        .address;
    let sent = s
        .send_message(
            &jan,
            okienko_services::delivery::Outgoing {
                from: jan_box,
                to: vec![office_mailbox.clone()],
                subject: "Wniosek".into(),
                body: "Treść".into(),
                attachments: vec![("wniosek.pdf".into(), b"%PDF-1.4 test".to_vec().into())],
                idempotency_key: None,
                postal: Vec::new(),
                reply_to: None,
                bulk: false,
                correctable: false,
            },
        )
        .await
        .expect("send");
    // The consignment to the office: evidence both parties see (the submission acceptance
    // names every recipient, so it is the sender's alone).
    let evidence = sent
        .evidence
        .iter()
        .find(|(_, kind)| kind == "content-consignment")
        .expect("consignment")
        .0
        .clone();
    let (letter, batch) = paper_letter(&t, &office_mailbox).await;
    // A citizen who is no actor of the table (so no row revokes her profile) has a trusted
    // profile confirmed at Kasia's counter, for assisted visits.
    let ewa = User {
        id: "visit-citizen".into(),
        email: "ewa.wizyta@okienko.test".into(),
        display_name: "Ewa Wizyta".into(),
        password_hash: String::new(),
        email_verified: true,
        totp_secret: None,
        totp_last_step: None,
        locale: None,
        disabled: false,
        created_at: 0,
    };
    let citizen = RoleGrant {
        role: Role::Citizen,
        office_id: None,
        department_id: None,
        service_point_id: None,
    };
    s.store
        .create_user(&ewa, &[citizen], &ev())
        .await
        .expect("visit citizen");
    let jan_id = ewa.id.clone();
    let now = s.now_ms();
    let app = okienko_store::TpApplication {
        number: "0000-0001".into(),
        user_id: jan_id.clone(),
        pesel: "85122410001".into(),
        first_name: "Ewa".into(),
        last_name: "Wizyta".into(),
        id_document: "ABA300000".into(),
        email: "ewa.wizyta@okienko.test".into(),
        phone: "600700800".into(),
        created_at: now,
        expires_at: now + 1_000_000,
        status: okienko_domain::status::ApplicationStatus::Pending,
        decided_at: None,
        decided_by: None,
        service_point_id: None,
        reason: None,
    };
    s.store
        .create_tp_application(&app, &AuditEvent::new(now, None, "test.setup", "tp"))
        .await
        .expect("application");
    let kasia = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    s.confirm_trusted_profile(
        &kasia,
        &okienko_services::trusted::CounterInput {
            number: "0000-0001".into(),
            pesel: "85122410001".into(),
            id_document_number: "ABA300000".into(),
        },
    )
    .await
    .expect("confirmed");
    let service = s
        .store
        .office_services(&office1)
        .await
        .expect("catalogue")
        .into_iter()
        .find(|x| x.code == "ZAM-1")
        .expect("a demo service")
        .id;
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    let draft = s.start_draft(&jan, &service, false).await.expect("a draft");
    let reference = s
        .submit_form(
            &jan,
            okienko_services::forms::SubmitForm {
                service_id: service.clone(),
                version: None,
                answers: serde_json::from_value(serde_json::json!({
                    "name": "Jan Kowalski", "pesel": "44051401359", "proxy": false,
                    "kind": ["permanent"]
                }))
                .expect("answers"),
                uploads: vec![],
                draft_id: None,
                password: None,
                code: None,
                idempotency_key: None,
                assisted: None,
            },
        )
        .await
        .expect("a submission")
        .reference;
    let pay = s.start_payment(&jan, &reference).await.expect("payment");
    let token = pay.rsplit('/').next().expect("token").to_string();
    let anna = crate::common::principal(&t, "anna.nowak@okienko.test").await;
    let export = s
        .request_export(&anna, &service, "csv", okienko_i18n::Lang::Pl)
        .await
        .expect("an export")
        .id;
    okienko_services::jobs::run_once(s, 20)
        .await
        .expect("the export job");
    let schedule = s
        .store
        .schedules(&office1, Some(&service))
        .await
        .expect("schedules")
        .pop()
        .expect("the demo offers ZAM-1");
    let place = okienko_services::appointments::Place::of(&schedule).key();
    World {
        place,
        export,
        token,
        draft,
        reference,
        service,
        visit_citizen: "visit-citizen".into(),
        letter,
        batch,
        t,
        office1,
        point1,
        office_mailbox,
        message: sent.id,
        evidence,
    }
}

/// Makes a concrete path, creating a fresh department or staff member where the route
/// removes one.
/// A task Anna gave Piotr on a fresh OR case of hers; its id.
pub(crate) async fn fresh_task(t: &TestServer) -> String {
    let anna = crate::common::principal(t, "anna.nowak@okienko.test").await;
    let piotr = crate::common::principal(t, "piotr.zielinski@okienko.test").await;
    let c = fresh_case(t).await;
    let input = okienko_services::tasks::TaskInput {
        kind: "task".into(),
        assignee: piotr.user.id.clone(),
        text: "Oględziny drzewa w terenie".into(),
        due_on: String::new(),
        link: None,
    };
    t.services
        .add_case_task(&anna, &c.id, &input)
        .await
        .expect("task")
        .id
}

/// Jan's fresh appointment for the demo's bookable service (his others cancelled first, so
/// that the limit per person holds): held for `held`, else booked.
async fn fresh_appointment(w: &World, held: bool) -> String {
    let s = &w.t.services;
    let jan = crate::common::principal(&w.t, "jan.kowalski@okienko.test").await;
    for v in s.my_appointments(&jan, "pl").await.expect("mine") {
        if v.may_change || v.may_confirm {
            s.cancel_appointment(
                okienko_services::appointments::Holder::Person(&jan),
                &v.appointment.id,
            )
            .await
            .expect("cancel");
        }
    }
    let today = s.local_today();
    let slot = s
        .free_slots(&w.service, today, today + time::Duration::days(30))
        .await
        .expect("slots")
        .iter()
        .find(|x| x.taken < x.capacity)
        .expect("a free slot")
        .clone();
    if held {
        s.hold_slot(&jan, &slot.id).await.expect("hold").id
    } else {
        s.book_slot(&jan, &slot.id).await.expect("book").id
    }
}

/// A substitution of Anna's by Piotr for one day `n` days on (each its own day, so none
/// overlaps another); its id.
pub(crate) async fn fresh_substitute(t: &TestServer, n: usize) -> String {
    let anna = crate::common::principal(t, "anna.nowak@okienko.test").await;
    let piotr = crate::common::principal(t, "piotr.zielinski@okienko.test").await;
    let s = &t.services;
    let office = anna.grants[0].office_id.clone().expect("office");
    let on =
        (s.country.local(s.clock.now()).date() + time::Duration::days(n as i64 + 1)).to_string();
    let input = okienko_services::cases::substitutes::SubstituteInput {
        absent: anna.user.id.clone(),
        substitute: piotr.user.id.clone(),
        starts_on: on.clone(),
        ends_on: on,
    };
    s.add_substitute(&anna, &office, &input)
        .await
        .expect("substitute")
        .id
}

/// A paper letter registered by Anna for the OR department, with its certified scan; its
/// register entry's id.
pub(crate) async fn fresh_paper_letter(t: &TestServer) -> String {
    let anna = crate::common::principal(t, "anna.nowak@okienko.test").await;
    let s = &t.services;
    let (departments, _) = s
        .paper_departments(&anna, &anna.grants[0].office_id.clone().expect("office"))
        .await
        .expect("departments");
    let or = departments.iter().find(|d| d.code == "OR").expect("OR");
    let input = okienko_services::cases::scans::PaperLetterInput {
        subject: "Wniosek o wycinkę drzewa".into(),
        correspondent: "Jan Kowalski".into(),
        received_on: "2026-01-05".into(),
        department: Some(or.id.clone()),
    };
    s.register_paper(
        &anna,
        &or.office_id,
        &input,
        "skan.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec(),
    )
    .await
    .expect("paper letter")
    .id
}

pub(crate) async fn concrete(w: &World, route: &str, n: usize) -> String {
    let s = &w.t.services;
    let ev = || AuditEvent::new(0, None, "test.setup", "matrix");
    // Steps that change a batch or a letter get one of their own, in the right state.
    let fresh;
    let id = if route.contains("/printed")
        || route.contains("/dispatched")
        || route.contains("/outcome")
    {
        let kasia = crate::common::principal(&w.t, "kasia.poczta@okienko.test").await;
        let (letter, batch) = paper_letter(&w.t, &w.office_mailbox).await;
        if !route.contains("/printed") {
            s.mark_batch_printed(&kasia, &batch).await.expect("printed");
        }
        if route.contains("/outcome") {
            s.mark_batch_dispatched(&kasia, &batch)
                .await
                .expect("dispatched");
        }
        fresh = if route.contains("/outcome") {
            letter
        } else {
            batch
        };
        &fresh
    } else if route.starts_with("/counter/register/") {
        // Ewa was registered with a confirmed identity and has not activated her account.
        &w.visit_citizen
    } else if route.starts_with("/counter/visits/") || route.contains("/counter/receipts/") {
        // A fresh visit of Kasia's for Ewa each time (ending one uses it up).
        let kasia = crate::common::principal(&w.t, "kasia.poczta@okienko.test").await;
        let v = s
            .start_visit(
                &kasia,
                &okienko_services::visits::VisitInput {
                    pesel: "85122410001".into(),
                    id_document_number: "ABA300000".into(),
                    consent: true,
                },
            )
            .await
            .expect("visit");
        fresh = if route.contains("/counter/receipts/") {
            let r = s
                .take_cash(
                    &kasia,
                    &v.id,
                    &okienko_services::visits::CashForm {
                        amount: "12,50".into(),
                        title: "Opłata skarbowa".into(),
                        ..Default::default()
                    },
                )
                .await
                .expect("receipt");
            if route.ends_with("/void/signed") {
                s.void_receipt(&kasia, &r.id, "Pomyłka w kwocie")
                    .await
                    .expect("void");
            }
            r.id
        } else {
            v.id
        };
        &fresh
    } else if route.contains("service-points") {
        &w.point1
    } else if route.contains("print-batches") {
        &w.batch
    } else if route.contains("paper-letters") {
        &w.letter
    } else if route.starts_with("/api/v1/messages/")
        || route.starts_with("/messages/")
        || (route.contains("/archive/") && !route.ends_with("/archive/transfers"))
    {
        &w.message
    } else if route.starts_with("/api/v1/evidence/") || route.starts_with("/evidence/") {
        &w.evidence
    } else if route.starts_with("/drafts/") {
        &w.draft
    } else if route.starts_with("/submission-exports/") {
        &w.export
    } else if route.starts_with("/destruction-lists/")
        || route.starts_with("/api/v1/destruction-lists/")
    {
        let c = fresh_case(&w.t).await;
        let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
        s.close_case(&anna, &c.id).await.expect("closed");
        let list = okienko_store::DestructionList {
            id: okienko_store::new_id(),
            office_id: c.office_id.clone(),
            year: 2026,
            status: "prepared".into(),
            prepared_by: anna.user.id.clone(),
            prepared_at: 1,
            ..Default::default()
        };
        let item = okienko_store::DestructionItem {
            case_id: c.id.clone(),
            category: "B10".into(),
            destroyable_from: 2037,
        };
        fresh = s
            .store
            .add_destruction_list(&list, &[item], &ev())
            .await
            .expect("list")
            .id;
        &fresh
    } else if route.starts_with("/archive-transfers/")
        || route.starts_with("/api/v1/archive-transfers/")
    {
        let c = fresh_case(&w.t).await;
        let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
        s.close_case(&anna, &c.id).await.expect("closed");
        let zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        let size = zip.len() as i64;
        let sha256 = s.blobs.put(zip.into()).await.expect("blob");
        let transfer = okienko_store::ArchiveTransfer {
            id: okienko_store::new_id(),
            office_id: c.office_id.clone(),
            year: 2026,
            made_by: anna.user.id.clone(),
            made_at: 1,
            cases: 1,
            name: "transfer.zip".into(),
            sha256,
            size,
            ..Default::default()
        };
        fresh = s
            .store
            .add_transfer(&transfer, std::slice::from_ref(&c.id), &[], &ev())
            .await
            .expect("transfer")
            .id;
        &fresh
    } else if route.starts_with("/tasks/") || route.starts_with("/api/v1/tasks/") {
        fresh = fresh_task(&w.t).await;
        &fresh
    } else if route.starts_with("/appointments/")
        || route.starts_with("/api/v1/appointments/")
        || route.contains("/no-show")
    {
        fresh = fresh_appointment(w, route.ends_with("/confirm")).await;
        &fresh
    } else if route.starts_with("/places/") {
        // A walk-in ticket, called to Anna's desk where it is finished.
        let t = s.kiosk_walk_in(&w.place, None).await.expect("a ticket");
        if route.ends_with("/finish") {
            let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
            while s
                .call_next(&anna, &w.place, "1")
                .await
                .expect("called")
                .is_some_and(|c| c.id != t.id)
            {}
        }
        fresh = t.id;
        &fresh
    } else if route.starts_with("/substitutes/") || route.starts_with("/api/v1/substitutes/") {
        fresh = fresh_substitute(&w.t, n).await;
        &fresh
    } else if route.starts_with("/register-entries/")
        || route.starts_with("/api/v1/register-entries/")
    {
        fresh = fresh_paper_letter(&w.t).await;
        &fresh
    } else if route.starts_with("/cases/") || route.starts_with("/api/v1/cases/") {
        // A fresh OR case of Anna's each time (closing one ends it); with a place where
        // the route reads or removes one.
        fresh = fresh_case(&w.t).await.id;
        if route.contains("/place") {
            let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
            s.set_case_place(&anna, &fresh, "Rynek 1, Wąchock", "51,0731", "21,0129")
                .await
                .expect("place");
        }
        &fresh
    } else if route.starts_with("/library/documents/")
        || route.starts_with("/api/v1/library/documents/")
    {
        fresh = fresh_library_document(w).await;
        &fresh
    } else if route.starts_with("/library/folders/")
        || route.starts_with("/api/v1/library/folders/")
    {
        fresh = fresh_library_folder(w, n).await;
        &fresh
    } else if route.starts_with("/documents/") || route.starts_with("/api/v1/documents/") {
        fresh = fresh_document(w).await;
        &fresh
    } else if route.starts_with("/decisions/") || route.starts_with("/api/v1/decisions/") {
        fresh = fresh_decision(w, route).await;
        &fresh
    } else if route.starts_with("/api/v1/services/") || route.starts_with("/services/") {
        &w.service
    } else {
        &w.office1
    };
    let mut path = route
        .replace("{id}", id)
        .replace("{n}", "0")
        .replace("{step}", "0")
        .replace("{reference}", &w.reference)
        .replace("{template}", "x")
        .replace("{name}", "marker-icon.png")
        .replace("{token}", &w.token)
        .replace("{address}", &w.office_mailbox)
        .replace("{key}", &w.place);
    if path.contains("{dept}") {
        let d = Department {
            id: format!("dept-{n}"),
            office_id: w.office1.clone(),
            // Short and unique: n in letters.
            code: {
                let (mut k, mut code) = (n, String::from("T"));
                loop {
                    code.push(char::from(b'A' + (k % 26) as u8));
                    k /= 26;
                    if k == 0 {
                        break code;
                    }
                }
            },
            name: "Tymczasowy".into(),
        };
        s.store
            .create_department(&d, &ev())
            .await
            .expect("temp dept");
        path = path.replace("{dept}", &d.id);
    }
    if path.contains("{user}") {
        let u = User {
            id: format!("temp-{n}"),
            email: format!("temp{n}@okienko.test"),
            display_name: "Tymczasowy".into(),
            password_hash: String::new(),
            email_verified: true,
            totp_secret: None,
            totp_last_step: None,
            locale: None,
            disabled: false,
            created_at: 0,
        };
        let g = RoleGrant {
            role: Role::Official,
            office_id: Some(w.office1.clone()),
            department_id: None,
            service_point_id: None,
        };
        s.store
            .create_user(&u, &[g], &ev())
            .await
            .expect("temp user");
        if path.contains("/members/") {
            s.store
                .add_mailbox_member(&w.office_mailbox, &u.id, "reader", &ev())
                .await
                .expect("temp member");
        }
        path = path.replace("{user}", &u.id);
    }
    path
}

#[tokio::test]
async fn every_route_for_every_role() {
    let table = table();
    let in_table: BTreeSet<String> = table.iter().map(|r| r.route.to_string()).collect();
    let missing: Vec<_> = registered_routes().difference(&in_table).cloned().collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:?}"
    );

    let w = world().await;
    let t = &w.t;
    let mut n = 0;
    let mut failures = Vec::new();
    for who in EVERYONE {
        let sign_in = || async {
            match login(who) {
                Some(l) => (t.demo_web(l).await, Some(t.demo_token(l).await)),
                None => (t.browser(), None),
            }
        };
        let (mut web, mut token) = sign_in().await;
        for row in &table {
            n += 1;
            // Signing out and revoking end the session: sign in afresh after those rows.
            if row.route == "/logout" || row.method == "DELETE" {
                (web, token) = sign_in().await;
            }
            let path = concrete(&w, row.route, n).await;
            let api = path.starts_with("/api/");
            let csrf = if api {
                String::new()
            } else {
                t.csrf(&web, "/register").await
            };
            let client = if api {
                reqwest::Client::new()
            } else {
                web.clone()
            };
            let mut req = match row.method {
                "GET" => client.get(t.url(&path)),
                "POST" if api => client
                    .post(t.url(&path))
                    .header("content-type", "application/json")
                    .body("{}"),
                // Confirmed, so destructive acts run (without it they only ask).
                "POST" => client
                    .post(t.url(&path))
                    .form(&[("csrf", csrf.as_str()), ("confirm", "yes")]),
                "PUT" => client.put(t.url(&path)),
                "PATCH" => client.patch(t.url(&path)),
                "DELETE" => client.delete(t.url(&path)),
                m => panic!("method {m}"),
            };
            if let (true, Some(tok)) = (api, &token) {
                req = req.bearer_auth(tok);
            }
            let status = req.send().await.expect("request").status().as_u16();
            let expected = if row.method == "GET" && row.route == "/login" && who != Who::Anonymous
            {
                303 // already signed in: sent on
            } else if row.public || row.allowed.contains(&who) {
                row.ok
            } else if who == Who::Anonymous {
                if api {
                    401
                } else {
                    303
                }
            } else {
                404
            };
            if status != expected {
                failures.push(format!(
                    "{who:?} {} {} -> {status}, expected {expected}",
                    row.method, row.route
                ));
            }
            if row.route == "/logout" || row.method == "DELETE" {
                (web, token) = sign_in().await;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn people_see_only_their_own_data_and_officials_only_their_office() {
    let w = world().await;
    let t = &w.t;
    // The office admin reads the staff list: Anna's tracker shows it, Jan's shows nothing of hers.
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    admin
        .get(t.url(&format!("/offices/{}", w.office1)))
        .send()
        .await
        .expect("staff list");
    for (login, expect_read) in [
        ("anna.nowak@okienko.test", true),
        ("jan.kowalski@okienko.test", false),
    ] {
        let token = t.demo_token(login).await;
        let items: serde_json::Value = reqwest::Client::new()
            .get(t.url("/api/v1/me/data-tracker"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("tracker")
            .json()
            .await
            .expect("json");
        let reads = items
            .as_array()
            .expect("array")
            .iter()
            .filter(|i| i["action"] == "person.read")
            .count();
        assert_eq!(reads > 0, expect_read, "{login}: {items}");
    }
    // An official of another office gets 404 for this office, in the API and on the web.
    let token = t.demo_token("inny.urzednik@okienko.test").await;
    let r = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/offices/{}", w.office1)))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    let r = reqwest::Client::new()
        .get(t.url("/api/v1/offices/office-2"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    // The clerk of one point sees nothing of another.
    let clerk = t.demo_web("kasia.poczta@okienko.test").await;
    assert_eq!(
        clerk
            .get(t.url("/service-points/point-2"))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
}

/// A decision of a fresh OR case of Anna's, from a template that asks for the head's approval,
/// brought to the state the route's act starts from.
async fn fresh_decision(w: &World, route: &str) -> String {
    use okienko_services::cases::decisions::TemplateInput;
    let s = &w.t.services;
    let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
    let head = crate::common::principal(&w.t, "urzad.admin@okienko.test").await;
    let case = fresh_case(&w.t).await;
    let template = s
        .save_decision_template(
            &head,
            &w.office1,
            &TemplateInput {
                name: "Zaświadczenie".into(),
                jrwa: "015".into(),
                body: "Dla {party} w sprawie {signature}.".into(),
                approval: true,
                ..Default::default()
            },
        )
        .await
        .expect("a template");
    let d = s
        .draft_decision(&anna, &case.id, &template.id)
        .await
        .expect("a draft");
    let stage = match route.rsplit('/').next().unwrap_or_default() {
        "approve" | "return" => 1,
        "sign" => 2,
        "dispatch" | "document" | "signature" => 3,
        _ => 0,
    };
    if stage >= 1 {
        s.submit_decision(&anna, &d.id).await.expect("submitted");
    }
    if stage >= 2 {
        s.approve_decision(&head, &d.id, true)
            .await
            .expect("approved");
    }
    if stage >= 3 {
        s.sign_decision(&anna, &d.id).await.expect("signed");
    }
    d.id
}

/// A working document of a fresh OR case of Anna's, nobody holding it.
async fn fresh_document(w: &World) -> String {
    let s = &w.t.services;
    let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
    let case = fresh_case(&w.t).await;
    s.add_case_document(
        &anna,
        &case.id,
        "Notatka służbowa",
        "notatka.txt",
        b"Notatka".to_vec(),
    )
    .await
    .expect("a document")
    .id
}

/// The OR department of the first office.
async fn or_department(w: &World) -> String {
    w.t.services
        .store
        .departments(&w.office1)
        .await
        .expect("departments")
        .into_iter()
        .find(|d| d.code == "OR")
        .expect("OR")
        .id
}

/// A fresh folder of Anna's at the top of the OR library.
async fn fresh_library_folder(w: &World, n: usize) -> String {
    let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
    let or = or_department(w).await;
    w.t.services
        .add_library_folder(&anna, &w.office1, &or, None, &format!("Wzory {n}"))
        .await
        .expect("a folder")
        .id
}

/// A fresh document of Anna's at the top of the OR library.
async fn fresh_library_document(w: &World) -> String {
    let anna = crate::common::principal(&w.t, "anna.nowak@okienko.test").await;
    let or = or_department(w).await;
    w.t.services
        .upload_library_document(
            &anna,
            &w.office1,
            &or,
            None,
            "Instrukcja kancelaryjna",
            "instrukcja.txt",
            b"Instrukcja".to_vec(),
        )
        .await
        .expect("a library document")
        .id
}

/// A fresh case of Anna's in her OR department (class 015), Jan Kowalski its party by name.
pub(crate) async fn fresh_case(t: &TestServer) -> okienko_store::Case {
    let anna = crate::common::principal(t, "anna.nowak@okienko.test").await;
    t.services
        .open_case(
            &anna,
            &okienko_services::cases::CaseInput {
                department: "OR".into(),
                jrwa: "015".into(),
                title: "Pełnomocnictwo".into(),
                party: Some("Jan Kowalski".into()),
                ..Default::default()
            },
        )
        .await
        .expect("a case")
}
