//! Online payments of fees (`domain::payments`) and the local provider simulator's book.

use crate::*;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A payment of a submission's fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub session_id: String,
    /// The submission's message.
    pub message_id: String,
    pub office_id: String,
    pub user_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// `pending` or `paid`.
    pub status: String,
    /// The provider's token: where the payer is sent.
    pub token: String,
    pub order_id: Option<String>,
    pub created_at: Millis,
    pub paid_at: Option<Millis>,
    /// [`ONLINE`] or [`CASH`].
    pub channel: String,
}

/// Paid through the payment provider.
pub const ONLINE: &str = "online";
/// Paid in cash at a counter: the session id is the cash receipt's id.
pub const CASH: &str = "cash";

/// A fee paid in cash at a counter: the receipt and the submission's payment, stored together
/// in the commit that logs the receipt.
#[derive(Debug, Clone)]
pub struct CashFee {
    pub receipt: crate::CashReceipt,
    pub payment: Payment,
}

/// A transaction in the simulator's book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimTransaction {
    pub token: String,
    pub merchant_id: String,
    pub session_id: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub url_return: String,
    pub url_status: String,
    /// `registered`, `paid` or `cancelled`.
    pub status: String,
    pub order_id: Option<String>,
    pub created_at: Millis,
    pub paid_at: Option<Millis>,
}

#[async_trait]
pub trait PaymentsStore: Send + Sync {
    async fn create_payment(&self, p: &Payment, audit: &AuditEvent) -> Result<()>;
    async fn payment(&self, session_id: &str) -> Result<Option<Payment>>;
    /// A submission's payments, the latest first.
    async fn payments_of_message(&self, message_id: &str) -> Result<Vec<Payment>>;
    /// Counts a pending payment as paid, with the audit event, in one transaction; false when
    /// it was already paid. (Its submission reaches the office by a signed release, see
    /// [`crate::SubmissionRelease`].)
    async fn mark_paid(
        &self,
        session_id: &str,
        order_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Paid payments paid before `before` whose submissions still wait (their release did
    /// not happen: the instance stopped in between), the oldest first.
    async fn paid_unreleased(&self, before: Millis, limit: i64) -> Result<Vec<Payment>>;
    /// An office's payments through the provider counted in `[from, to)` (cash is not here:
    /// it is in the counters' cash reports).
    async fn paid_payments(
        &self,
        office_id: &str,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Payment>>;
    async fn sim_register(&self, t: &SimTransaction) -> Result<()>;
    async fn sim_transaction(&self, token: &str) -> Result<Option<SimTransaction>>;
    async fn sim_by_session(&self, session_id: &str) -> Result<Option<SimTransaction>>;
    /// Settles a registered transaction as `paid` (with its order id) or `cancelled`; false
    /// when it was settled before.
    async fn sim_settle(
        &self,
        token: &str,
        status: &str,
        order_id: &str,
        at: Millis,
    ) -> Result<bool>;
    /// The simulator's paid transactions of a merchant in `[from, to)`.
    async fn sim_paid(
        &self,
        merchant_id: &str,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<SimTransaction>>;
}
