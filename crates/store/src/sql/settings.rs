//! [`crate::SettingsStore`] in SQL.

use super::*;

#[async_trait]
impl crate::SettingsStore for SqlStore {
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn setting_put(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn take_lease(&self, name: &str, now: Millis, until: Millis) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
             SET value = excluded.value WHERE CAST(settings.value AS BIGINT) <= $3",
        )
        .bind(format!("lease:{name}"))
        .bind(until.to_string())
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn setting_init(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        let r = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.writer)
            .await?;
        Ok(r.try_get::<String, _>(0)?)
    }
}
