//! Exports of a service's submissions for the office (CSV for a spreadsheet, JSON for other
//! systems), made by a background job that records its progress; the file is kept in the blob
//! store and downloaded by those who handle the service's submissions.

use super::*;
use okienko_store::SubmissionExport;
use std::collections::HashMap;

/// Submissions read per step (and progress saved after each).
const PAGE: i64 = 500;

impl Services {
    /// Asks for an export of a service's submissions; the job makes it.
    pub async fn request_export(
        &self,
        p: &Principal,
        service_id: &str,
        format: &str,
        lang: okienko_i18n::Lang,
    ) -> Result<SubmissionExport, DomainError> {
        let entry = self.handled_service(p, service_id).await?;
        if !matches!(format, "csv" | "json") {
            return Err(DomainError::invalid("format", "err-export-format"));
        }
        let now = self.now_ms();
        let e = SubmissionExport {
            id: new_id(),
            office_id: entry.office.id.clone(),
            service_id: entry.id.clone(),
            format: format.into(),
            lang: lang.code().into(),
            requested_by: p.user.id.clone(),
            status: "queued".into(),
            total: self.store.count_submissions(&entry.id).await?,
            done: 0,
            sha256: None,
            size: None,
            error: None,
            created_at: now,
            finished_at: None,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "submission.export", &e.id)
            .reason(format!("{} {format}", entry.spec.code));
        self.store.create_export(&e, &ev).await?;
        Ok(e)
    }

    /// An export and its service, for those who handle the service's submissions.
    pub async fn export_status(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(SubmissionExport, CatalogueEntry), DomainError> {
        let e = self.store.export(id).await?.ok_or(DomainError::NotFound)?;
        let entry = self.handled_service(p, &e.service_id).await?;
        Ok((e, entry))
    }

    /// A finished export's file.
    pub async fn export_file(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(SubmissionExport, CatalogueEntry, bytes::Bytes), DomainError> {
        let (e, entry) = self.export_status(p, id).await?;
        let Some(sha) = e.sha256.clone().filter(|_| e.status == "done") else {
            return Err(DomainError::Conflict("err-export-not-ready"));
        };
        let bytes = self
            .blobs
            .get(&sha)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok((e, entry, bytes))
    }

    /// A service's recent exports (for those who handle its submissions).
    pub async fn service_exports(
        &self,
        p: &Principal,
        service_id: &str,
    ) -> Result<Vec<SubmissionExport>, DomainError> {
        self.handled_service(p, service_id).await?;
        Ok(self.store.exports_of_service(service_id, 10).await?)
    }

    /// A service whose submissions the person handles (its office, and its department when
    /// they are placed in one); not found for anyone else.
    async fn handled_service(
        &self,
        p: &Principal,
        service_id: &str,
    ) -> Result<CatalogueEntry, DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        if self
            .handles(p, &entry.office.id, entry.spec.department.as_deref())
            .await?
        {
            Ok(entry)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// The export job: reads the service's submissions in pages, saving the progress after
    /// each, and keeps the file. Run again after a failure, it starts over.
    pub(crate) async fn run_export(&self, id: &str) -> anyhow::Result<()> {
        let Some(mut e) = self.store.export(id).await? else {
            return Ok(());
        };
        if e.status == "done" {
            return Ok(());
        }
        match self.make_export(&mut e).await {
            Ok(()) => Ok(()),
            Err(err) => {
                e.status = "failed".into();
                e.error = Some(err.to_string());
                e.finished_at = Some(self.now_ms());
                self.store.update_export(&e).await?;
                Err(err)
            }
        }
    }

    async fn make_export(&self, e: &mut SubmissionExport) -> anyhow::Result<()> {
        let lang = okienko_i18n::Lang::parse(&e.lang).unwrap_or(okienko_i18n::Lang::Pl);
        e.status = "running".into();
        e.done = 0;
        e.total = self.store.count_submissions(&e.service_id).await?;
        self.store.update_export(e).await?;
        // The columns: every top-level field of every version, the newest label first.
        let versions = self.store.form_versions(&e.service_id).await?;
        let mut forms: HashMap<String, ServiceForm> = HashMap::new();
        let mut columns: Vec<(String, String)> = Vec::new();
        for v in &versions {
            let f = self.form_at(&e.service_id, &v.version).await?;
            for (field, group) in f.def.all_fields() {
                if group.is_some() {
                    continue;
                }
                if !columns.iter().any(|(id, _)| *id == field.id) {
                    let label = okienko_domain::forms::text(&field.label, lang.code());
                    columns.push((field.id.clone(), label.to_string()));
                }
            }
            for s in &f.def.steps {
                for g in s.fields.iter().filter(|g| g.kind == Kind::Group) {
                    if !columns.iter().any(|(id, _)| *id == g.id) {
                        let label = okienko_domain::forms::text(&g.label, lang.code());
                        columns.push((g.id.clone(), label.to_string()));
                    }
                }
            }
            forms.insert(v.version.clone(), f);
        }
        let yes_no = (lang.t("form-yes"), lang.t("form-no"));
        let yn = (yes_no.0.as_str(), yes_no.1.as_str());
        let csv = e.format == "csv";
        let mut out: Vec<u8> = Vec::new();
        if csv {
            let mut head: Vec<String> = [
                "submission-reference",
                "submission-submitted",
                "submission-status",
                "service-fee",
                "submission-form-version",
            ]
            .iter()
            .map(|k| lang.t(k))
            .collect();
            head.extend(columns.iter().map(|(_, l)| l.clone()));
            let head: Vec<String> = head
                .iter()
                .map(|c| okienko_domain::text::csv_text_cell(c))
                .collect();
            out.extend_from_slice(head.join(",").as_bytes());
            out.extend_from_slice(b"\r\n");
        } else {
            out.extend_from_slice(b"[");
        }
        let mut after: Option<(i64, String)> = None;
        loop {
            let page = self
                .store
                .submissions_after(&e.service_id, after.clone(), PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.submitted_at, last.message_id.clone()));
            for s in &page {
                let answers: Answers = serde_json::from_str(&s.answers).unwrap_or_default();
                let n = forms.get(&s.version).map(|f| f.version.n).unwrap_or(0);
                let submitted = crate::clock::rfc3339(s.submitted_at);
                if csv {
                    let mut row = vec![
                        s.reference.clone(),
                        submitted,
                        lang.t(&format!("submission-status-{}", s.status)),
                        format!("{}.{:02}", s.fee / 100, s.fee % 100),
                        n.to_string(),
                    ];
                    let def = forms.get(&s.version).map(|f| f.def.clone());
                    for (id, _) in &columns {
                        row.push(match (def.as_deref(), answers.get(id)) {
                            (Some(d), Some(v)) => cell_text(d, id, v, lang.code(), yn),
                            _ => String::new(),
                        });
                    }
                    let row: Vec<String> = row
                        .iter()
                        .map(|c| okienko_domain::text::csv_text_cell(c))
                        .collect();
                    out.extend_from_slice(row.join(",").as_bytes());
                    out.extend_from_slice(b"\r\n");
                } else {
                    if e.done > 0 {
                        out.extend_from_slice(b",");
                    }
                    let item = json!({
                        "reference": s.reference,
                        "submitted_at": submitted,
                        "status": s.status,
                        "fee": s.fee,
                        "form_version": s.version,
                        "form_version_number": n,
                        "upp": s.upp_id,
                        "answers": answers,
                    });
                    out.extend_from_slice(b"\n");
                    serde_json::to_writer(&mut out, &item)?;
                }
                e.done += 1;
            }
            e.total = e.total.max(e.done);
            self.store.update_export(e).await?;
        }
        if !csv {
            out.extend_from_slice(b"\n]\n");
        }
        e.size = Some(out.len() as i64);
        e.sha256 = Some(self.blobs.put(out.into()).await?);
        e.status = "done".into();
        e.total = e.done;
        e.finished_at = Some(self.now_ms());
        self.store.update_export(e).await?;
        Ok(())
    }
}

/// An answer as one cell: read out as the form says it; a group's items one after another.
fn cell_text(def: &FormDef, id: &str, v: &Value, lang: &str, yn: (&str, &str)) -> String {
    let Some(f) = def
        .steps
        .iter()
        .flat_map(|s| &s.fields)
        .find(|f| f.id == id)
    else {
        return String::new();
    };
    match (f.kind, v) {
        (Kind::Group, Value::Array(items)) => items
            .iter()
            .map(|item| {
                f.fields
                    .iter()
                    .filter_map(|g| {
                        let a = item.get(&g.id)?;
                        Some(format!(
                            "{}: {}",
                            okienko_domain::forms::text(&g.label, lang),
                            okienko_domain::forms::plain(g, a, lang, yn)
                        ))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect::<Vec<_>>()
            .join(" | "),
        _ => okienko_domain::forms::plain(f, v, lang, yn),
    }
}
