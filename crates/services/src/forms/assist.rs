//! Filling a form for a citizen at the counter: during an open assisted visit (the citizen
//! identified by PESEL and ID card, and consenting), the clerk starts a draft in the citizen's
//! account, fills it step by step with them, and submits it from the citizen's mailbox. Instead
//! of the citizen's signature, the UPP names the counter, the clerk and the visit; everything
//! is in the citizen's Data Tracker.

use super::*;
use okienko_store::EvidenceRecord;

/// Who fills a draft: its owner, or a clerk for them during an open visit.
#[derive(Clone)]
pub struct Filler {
    /// The draft's owner (the citizen when a clerk fills it).
    pub acting: Principal,
    pub assisted: Option<Assisted>,
    /// The draft as read to decide who fills it (not read twice for one page).
    pub draft: Option<Draft>,
}

/// A clerk filling a citizen's form at the counter.
#[derive(Clone, Debug)]
pub struct Assisted {
    pub visit_id: String,
    pub clerk_id: String,
    pub clerk_name: String,
    pub point_name: String,
    pub citizen_name: String,
}

impl Services {
    /// Who may fill this draft: its owner; or a clerk with an open visit of its owner at their
    /// open service point, then acting for the owner. Anyone else: not found.
    pub async fn draft_filler(&self, p: &Principal, draft_id: &str) -> Result<Filler, DomainError> {
        let d = self
            .store
            .draft(draft_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        if d.user_id == p.user.id {
            return Ok(Filler {
                acting: p.clone(),
                assisted: None,
                draft: Some(d),
            });
        }
        let point = self
            .clerk_point(p)
            .await
            .map_err(|_| DomainError::NotFound)?;
        let visit = self
            .store
            .clerk_visits(&p.user.id, &point.id, 50)
            .await?
            .into_iter()
            .map(|(v, _)| v)
            .find(|v| v.ended_at.is_none() && v.citizen_id == d.user_id)
            .ok_or(DomainError::NotFound)?;
        let mut f = self.assisting(p, &visit.id).await?;
        f.draft = Some(d);
        Ok(f)
    }

    /// The draft a filler fills, as [`Self::my_draft`] answers it for its owner.
    pub async fn filled_draft(&self, f: &Filler, id: &str) -> Result<DraftView, DomainError> {
        match &f.draft {
            Some(d) if d.id == id => self.draft_view(&f.acting, d.clone()).await,
            _ => self.my_draft(&f.acting, id).await,
        }
    }

    /// The clerk acting for the citizen of their open visit.
    async fn assisting(&self, p: &Principal, visit_id: &str) -> Result<Filler, DomainError> {
        let (visit, point, citizen) = self.my_open_visit(p, visit_id).await?;
        Ok(Filler {
            acting: self.acting_citizen(&citizen).await?,
            assisted: Some(Assisted {
                visit_id: visit.id,
                clerk_id: p.user.id.clone(),
                clerk_name: p.user.display_name.clone(),
                point_name: point.name,
                citizen_name: citizen.display_name,
            }),
            draft: None,
        })
    }

    /// Starts a draft of a service's form in the citizen's account during a visit; its id.
    pub async fn start_assisted_draft(
        &self,
        p: &Principal,
        visit_id: &str,
        service_id: &str,
    ) -> Result<String, DomainError> {
        let f = self.assisting(p, visit_id).await?;
        if service_id.is_empty() {
            return Err(DomainError::invalid("service", "err-service-choose"));
        }
        let id = self.start_draft(&f.acting, service_id, false).await?;
        if let Some(a) = &f.assisted {
            let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "counter.form.start", &id)
                .subject(&f.acting.user.id)
                .reason(format!(
                    "application started by clerk {} for citizen {} at {}",
                    a.clerk_name, a.citizen_name, a.point_name
                ));
            self.store.append_audit(&ev).await?;
        }
        Ok(id)
    }

    /// The UPP of a submission made during the visit, to print for the citizen.
    pub async fn upp_for_citizen(
        &self,
        p: &Principal,
        visit_id: &str,
        reference: &str,
    ) -> Result<EvidenceRecord, DomainError> {
        let f = self.assisting(p, visit_id).await?;
        if reference.is_empty() {
            return Err(DomainError::invalid("reference", "err-submission-choose"));
        }
        let s = self
            .store
            .submission(reference)
            .await?
            .filter(|s| s.user_id.as_deref() == Some(f.acting.user.id.as_str()))
            .ok_or(DomainError::NotFound)?;
        let e = self
            .store
            .evidence(&s.upp_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "counter.upp.print",
            reference,
        )
        .subject(&f.acting.user.id)
        .reason(format!(
            "official receipt printed by clerk {} for citizen {}",
            p.user.display_name, f.acting.user.display_name
        ));
        self.store.append_audit(&ev).await?;
        Ok(e)
    }
}
