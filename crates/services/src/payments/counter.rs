//! Paying a held submission's fee in cash at a counter, during the citizen's assisted visit:
//! the clerk sees what the citizen's applications wait for, reads the fee out, takes the cash,
//! and the numbered, signed receipt records the submission's payment in the commit that logs
//! it. The submission then reaches the office exactly as after an online payment.

use crate::accounts::Principal;
use crate::catalogue::CatalogueEntry;
use crate::visits::cash::{CashInput, FeeFor, Payer};
use crate::Services;
use okienko_domain::status::SubmissionStatus;
use okienko_domain::DomainError;
use okienko_store::{CashReceipt, Payment, Submission};

/// An application of the visit's citizen waiting for its fee.
#[derive(Debug, Clone)]
pub struct FeeDue {
    pub submission: Submission,
    /// The service applied for, with its office (the payee).
    pub service: CatalogueEntry,
}

impl Services {
    /// The visit's citizen's applications that wait for their fee, the oldest first.
    pub async fn fees_due_at_visit(
        &self,
        p: &Principal,
        visit_id: &str,
    ) -> Result<Vec<FeeDue>, DomainError> {
        let (_, _, citizen) = self.my_open_visit(p, visit_id).await?;
        let mut due = Vec::new();
        for s in self.store.submissions_of(&citizen.id, 200).await? {
            if !waits_for_fee(&s) || self.fee_counted(&s).await? {
                continue;
            }
            let service = self.catalogue_entry(&s.service_id).await?;
            due.push(FeeDue {
                submission: s,
                service,
            });
        }
        due.sort_by_key(|f| f.submission.submitted_at);
        Ok(due)
    }

    /// One fee the visit's citizen owes, by the application's reference, as
    /// [`Self::take_fee_in_cash`] would take it (to read out first).
    pub async fn fee_due_at_visit(
        &self,
        p: &Principal,
        visit_id: &str,
        reference: &str,
    ) -> Result<FeeDue, DomainError> {
        let (_, _, citizen) = self.my_open_visit(p, visit_id).await?;
        if reference.trim().is_empty() {
            return Err(DomainError::invalid("reference", "err-submission-choose"));
        }
        let s = self
            .store
            .submission(reference.trim())
            .await?
            .filter(|s| s.user_id.as_deref() == Some(citizen.id.as_str()))
            .ok_or(DomainError::NotFound)?;
        if !waits_for_fee(&s) || self.fee_counted(&s).await? {
            return Err(DomainError::Conflict("err-payment-not-due"));
        }
        let service = self.catalogue_entry(&s.service_id).await?;
        Ok(FeeDue {
            submission: s,
            service,
        })
    }

    /// Takes an application's fee in cash during the visit: a receipt to the office, numbered
    /// per service point, signed, logged and stored with the application's payment in one
    /// commit; then the application reaches the office (as after an online payment, and by the
    /// minute sweep should this instance stop in between).
    pub async fn take_fee_in_cash(
        &self,
        p: &Principal,
        visit_id: &str,
        reference: &str,
    ) -> Result<CashReceipt, DomainError> {
        let due = self.fee_due_at_visit(p, visit_id, reference).await?;
        let (visit, point, citizen) = self.my_open_visit(p, visit_id).await?;
        let s = &due.submission;
        let name = due
            .service
            .spec
            .local(self.country.content_lang())
            .name
            .value;
        let input = CashInput {
            payer: Some(citizen.display_name.clone()),
            amount: s.fee,
            title: format!("{name} ({})", s.reference),
            payee: Some(due.service.office.clone()),
        };
        let fee = FeeFor {
            reference: s.reference.clone(),
            // The session id, times and status are the receipt's (set where it is signed).
            payment: Payment {
                session_id: String::new(),
                message_id: s.message_id.clone(),
                office_id: s.office_id.clone(),
                user_id: s.user_id.clone(),
                amount: s.fee,
                currency: self.country.currency().to_string(),
                status: String::new(),
                token: String::new(),
                order_id: None,
                created_at: 0,
                paid_at: None,
                channel: String::new(),
            },
        };
        let receipt = self
            .issue_receipt(p, &point, Payer::Visit(&visit, &citizen), input, Some(fee))
            .await?;
        // The cash is taken and its receipt committed: the clerk hands it over whatever comes
        // next. Should the release fail here, the minute sweep releases the application.
        if let Err(e) = self.release_paid_submission(&s.message_id).await {
            tracing::warn!(error = %e, reference = %s.reference, "releasing an application paid in cash");
        }
        Ok(receipt)
    }

    /// Whether a fee has been counted already (online, or in cash at another counter), so
    /// it is not taken twice.
    async fn fee_counted(&self, s: &Submission) -> Result<bool, DomainError> {
        Ok(self
            .store
            .payments_of_message(&s.message_id)
            .await?
            .iter()
            .any(|x| x.status == "paid"))
    }
}

fn waits_for_fee(s: &Submission) -> bool {
    SubmissionStatus::parse(&s.status) == Some(SubmissionStatus::AwaitingPayment) && s.fee > 0
}
