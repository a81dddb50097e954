//! [`crate::OrgStore`] in SQL.

use super::*;

#[async_trait]
impl crate::OrgStore for SqlStore {
    async fn create_office(&self, o: &Office, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO offices (id, name, nip, regon, street, postal_code, city, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&o.id)
        .bind(&o.name)
        .bind(&o.nip)
        .bind(&o.regon)
        .bind(&o.street)
        .bind(&o.postal_code)
        .bind(&o.city)
        .bind(o.created_at);
        self.exec_audited(q, audit).await?;
        self.changed().await;
        Ok(())
    }

    async fn update_office(&self, o: &Office, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "UPDATE offices SET name = $1, nip = $2, regon = $3, street = $4, postal_code = $5, city = $6 WHERE id = $7",
        )
        .bind(&o.name)
        .bind(&o.nip)
        .bind(&o.regon)
        .bind(&o.street)
        .bind(&o.postal_code)
        .bind(&o.city)
        .bind(&o.id);
        self.exec_audited(q, audit).await?;
        self.changed().await;
        Ok(())
    }

    async fn office(&self, id: &str) -> Result<Option<Office>> {
        if let Some(hit) = self.cache.office(id) {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let q = format!("SELECT {OFFICE_COLS} FROM offices WHERE id = $1");
        let found = self.opt(sqlx::query(&q).bind(id), office_from).await?;
        if let Some(o) = &found {
            self.cache.keep_office(generation, o.clone());
        }
        Ok(found)
    }

    async fn offices(&self) -> Result<Vec<Office>> {
        let q = format!("SELECT {OFFICE_COLS} FROM offices ORDER BY name, id");
        self.all(sqlx::query(&q), office_from).await
    }

    async fn create_service_point(&self, p: &ServicePoint, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO service_points (id, name, street, postal_code, city, is_open, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.street)
        .bind(&p.postal_code)
        .bind(&p.city)
        .bind(flag(p.is_open))
        .bind(p.created_at);
        self.exec_audited(q, audit).await
    }

    async fn update_service_point(&self, p: &ServicePoint, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "UPDATE service_points SET name = $1, street = $2, postal_code = $3, city = $4, is_open = $5 WHERE id = $6",
        )
        .bind(&p.name)
        .bind(&p.street)
        .bind(&p.postal_code)
        .bind(&p.city)
        .bind(flag(p.is_open))
        .bind(&p.id);
        self.exec_audited(q, audit).await
    }

    async fn service_point(&self, id: &str) -> Result<Option<ServicePoint>> {
        let q = format!("SELECT {POINT_COLS} FROM service_points WHERE id = $1");
        self.opt(sqlx::query(&q).bind(id), point_from).await
    }

    async fn service_points(&self) -> Result<Vec<ServicePoint>> {
        let q = format!("SELECT {POINT_COLS} FROM service_points ORDER BY name, id");
        self.all(sqlx::query(&q), point_from).await
    }

    async fn create_department(&self, d: &Department, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO departments (id, office_id, code, name) VALUES ($1, $2, $3, $4)",
        )
        .bind(&d.id)
        .bind(&d.office_id)
        .bind(&d.code)
        .bind(&d.name);
        self.exec_audited(q, audit).await?;
        self.changed().await;
        Ok(())
    }

    async fn departments(&self, office_id: &str) -> Result<Vec<Department>> {
        if let Some(hit) = self.cache.departments(office_id) {
            return Ok(hit);
        }
        let generation = self.cache.generation();
        let found = self
            .all(
                sqlx::query(
                    "SELECT id, office_id, code, name FROM departments WHERE office_id = $1 ORDER BY code",
                )
                .bind(office_id),
                dept_from,
            )
            .await?;
        self.cache
            .keep_departments(generation, office_id, found.clone());
        Ok(found)
    }

    async fn delete_department(&self, office_id: &str, id: &str, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE role_grants SET department_id = NULL WHERE department_id = $1 AND office_id = $2")
            .bind(id)
            .bind(office_id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM departments WHERE id = $1 AND office_id = $2")
            .bind(id)
            .bind(office_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }
}

pub(super) fn office_from(r: &AnyRow) -> std::result::Result<Office, sqlx::Error> {
    Ok(Office {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        nip: r.try_get("nip")?,
        regon: r.try_get("regon")?,
        street: r.try_get("street")?,
        postal_code: r.try_get("postal_code")?,
        city: r.try_get("city")?,
        created_at: r.try_get("created_at")?,
    })
}

pub(super) fn point_from(r: &AnyRow) -> std::result::Result<ServicePoint, sqlx::Error> {
    Ok(ServicePoint {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        street: r.try_get("street")?,
        postal_code: r.try_get("postal_code")?,
        city: r.try_get("city")?,
        is_open: r.try_get::<i64, _>("is_open")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

pub(super) fn dept_from(r: &AnyRow) -> std::result::Result<Department, sqlx::Error> {
    Ok(Department {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
    })
}

pub(super) const OFFICE_COLS: &str = "id, name, nip, regon, street, postal_code, city, created_at";

pub(super) const POINT_COLS: &str = "id, name, street, postal_code, city, is_open, created_at";
