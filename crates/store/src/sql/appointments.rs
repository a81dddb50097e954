//! [`crate::AppointmentStore`] in SQL. A place in a slot is taken by one conditional update
//! (`taken < capacity`), which both backends apply to the row one writer at a time (SQLite's
//! one writer; PostgreSQL's row lock, with the condition checked again on the row as it is
//! after the other's commit), so a slot is never overbooked.

use super::*;
use crate::appointments::{
    Appointment, NewHold, NewSlot, QueueTicket, Schedule, Slot, Taken, WaitDay,
};

const SCHEDULE_COLUMNS: &str = "id, office_id, service_id, place_kind, place_id, place_name, \
     place_address, spec, slots_until, created_at, updated_at";

fn schedule_from(r: &AnyRow) -> std::result::Result<Schedule, sqlx::Error> {
    Ok(Schedule {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        service_id: r.try_get("service_id")?,
        place_kind: r.try_get("place_kind")?,
        place_id: r.try_get("place_id")?,
        place_name: r.try_get("place_name")?,
        place_address: r.try_get("place_address")?,
        spec: r.try_get("spec")?,
        slots_until: r.try_get("slots_until")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const SLOT_COLUMNS: &str = "s.id, s.schedule_id, s.service_id, s.starts_at, s.ends_at, \
     s.capacity, s.taken, h.place_name";

fn slot_from(r: &AnyRow) -> std::result::Result<Slot, sqlx::Error> {
    Ok(Slot {
        id: r.try_get("id")?,
        schedule_id: r.try_get("schedule_id")?,
        service_id: r.try_get("service_id")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        capacity: r.try_get("capacity")?,
        taken: r.try_get("taken")?,
        place_name: r.try_get("place_name")?,
    })
}

const APPT_COLUMNS: &str = "a.id, a.code, a.slot_id, a.schedule_id, a.service_id, a.user_id, \
     a.status, a.holds_place, a.place_until, a.sequence, a.reminded, a.starts_at, a.created_at, \
     a.updated_at, s.ends_at, h.office_id, h.place_kind, h.place_id, h.place_name, \
     h.place_address, u.display_name AS user_name, u.email AS user_email";

const APPT_FROM: &str = "appointments a JOIN appointment_slots s ON s.id = a.slot_id \
     JOIN appointment_schedules h ON h.id = a.schedule_id JOIN users u ON u.id = a.user_id";

fn appointment_from(r: &AnyRow) -> std::result::Result<Appointment, sqlx::Error> {
    Ok(Appointment {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        slot_id: r.try_get("slot_id")?,
        schedule_id: r.try_get("schedule_id")?,
        service_id: r.try_get("service_id")?,
        user_id: r.try_get("user_id")?,
        status: r.try_get("status")?,
        holds_place: r.try_get::<i64, _>("holds_place")? != 0,
        place_until: r.try_get("place_until")?,
        sequence: r.try_get("sequence")?,
        reminded: r.try_get::<i64, _>("reminded")? != 0,
        starts_at: r.try_get("starts_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        ends_at: r.try_get("ends_at")?,
        office_id: r.try_get("office_id")?,
        place_kind: r.try_get("place_kind")?,
        place_id: r.try_get("place_id")?,
        place_name: r.try_get("place_name")?,
        place_address: r.try_get("place_address")?,
        user_name: r.try_get("user_name")?,
        user_email: r.try_get("user_email")?,
    })
}

const TICKET_COLUMNS: &str = "id, place_key, day, number, label, appointment_id, service_id, \
     status, created_at, called_at, called_by, desk, finished_at";

fn ticket_from(r: &AnyRow) -> std::result::Result<QueueTicket, sqlx::Error> {
    Ok(QueueTicket {
        id: r.try_get("id")?,
        place_key: r.try_get("place_key")?,
        day: r.try_get("day")?,
        number: r.try_get("number")?,
        label: r.try_get("label")?,
        appointment_id: r.try_get("appointment_id")?,
        service_id: r.try_get("service_id")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        called_at: r.try_get("called_at")?,
        called_by: r.try_get("called_by")?,
        desk: r.try_get("desk")?,
        finished_at: r.try_get("finished_at")?,
    })
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Adds slots to a schedule of generation `generation`; `replace` also updates those it has.
async fn put_slots(
    tx: &mut Tx<'_>,
    s: (&str, &str),
    slots: &[NewSlot],
    generation: i64,
    replace: bool,
) -> Result<()> {
    let (schedule_id, service_id) = s;
    let tail = if replace {
        " ON CONFLICT (schedule_id, starts_at) DO UPDATE SET ends_at = excluded.ends_at, \
         capacity = CASE WHEN excluded.capacity > appointment_slots.taken \
         THEN excluded.capacity ELSE appointment_slots.taken END, \
         offered = excluded.offered, generation = excluded.generation"
    } else {
        " ON CONFLICT (schedule_id, starts_at) DO NOTHING"
    };
    let rows: Vec<(&NewSlot, &str, &str)> =
        slots.iter().map(|x| (x, schedule_id, service_id)).collect();
    insert_rows_by(
        tx,
        32,
        "appointment_slots (id, schedule_id, service_id, starts_at, ends_at, capacity, taken, \
         generation, offered)",
        tail,
        9,
        &rows,
        |k| marks(k, 9),
        |q, ((id, start, end, places), sch, svc)| {
            q.bind(id)
                .bind(*sch)
                .bind(*svc)
                .bind(*start)
                .bind(*end)
                .bind(*places)
                .bind(0i64)
                .bind(generation)
                .bind(*places)
        },
    )
    .await
}

/// Gives `$1` places of slot `$2` back. A slot its schedule no longer has (an older
/// generation: a closure day, shorter hours) stays closed: its capacity goes down with them.
/// A slot of the schedule as it is now offers its `offered` places again, or keeps what it
/// holds when that is more (narrowed below its bookings by an official away).
const GIVE_BACK: &str = "UPDATE appointment_slots SET taken = taken - $1, \
     capacity = CASE WHEN generation = (SELECT h.generation FROM appointment_schedules h \
     WHERE h.id = appointment_slots.schedule_id) THEN \
     (CASE WHEN offered > taken - $1 THEN offered ELSE taken - $1 END) \
     ELSE capacity - $1 END WHERE id = $2";

async fn release_in_slot(tx: &mut Tx<'_>, slot_id: &str, now: Millis) -> Result<()> {
    let n = sqlx::query(
        "UPDATE appointments SET holds_place = 0 WHERE slot_id = $1 AND holds_place = 1 \
         AND place_until IS NOT NULL AND place_until <= $2",
    )
    .bind(slot_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n > 0 {
        sqlx::query(GIVE_BACK)
            .bind(n as i64)
            .bind(slot_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Takes one place in a slot if it has one free.
async fn take_in_slot(tx: &mut Tx<'_>, slot_id: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE appointment_slots SET taken = taken + 1 WHERE id = $1 AND taken < capacity",
    )
    .bind(slot_id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1)
}

/// Queues a job (an email: 8 attempts) due at `at` in the commit of `tx`.
async fn insert_job(tx: &mut Tx<'_>, kind: &str, payload: &str, at: Millis) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, created_at) \
         VALUES ($1, $2, $3, $4, 0, 8, $4)",
    )
    .bind(new_id())
    .bind(kind)
    .bind(payload)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The place's next ticket number of the day, counted in the database.
async fn next_number(tx: &mut Tx<'_>, place_key: &str, day: &str) -> Result<i64> {
    let r = sqlx::query(
        "INSERT INTO queue_numbers (place_key, day, last) VALUES ($1, $2, 1) \
         ON CONFLICT (place_key, day) DO UPDATE SET last = queue_numbers.last + 1 RETURNING last",
    )
    .bind(place_key)
    .bind(day)
    .fetch_one(&mut **tx)
    .await?;
    Ok(r.try_get("last")?)
}

async fn insert_ticket(tx: &mut Tx<'_>, t: &QueueTicket) -> Result<()> {
    sqlx::query(
        "INSERT INTO queue_tickets (id, place_key, day, number, label, appointment_id, \
         service_id, status, created_at, desk) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&t.id)
    .bind(&t.place_key)
    .bind(&t.day)
    .bind(t.number)
    .bind(&t.label)
    .bind(&t.appointment_id)
    .bind(&t.service_id)
    .bind(&t.status)
    .bind(t.created_at)
    .bind(&t.desk)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SqlStore {
    /// [`SqlStore::exec_audited`] that answers whether a row changed (false: none, nothing
    /// stored).
    async fn new_ticket(
        &self,
        tx: &mut Tx<'_>,
        place_key: &str,
        day: &str,
        appointment: Option<&str>,
        service_id: Option<&str>,
        now: Millis,
    ) -> Result<QueueTicket> {
        let number = next_number(tx, place_key, day).await?;
        let t = QueueTicket {
            id: new_id(),
            place_key: place_key.to_string(),
            day: day.to_string(),
            number,
            label: okienko_domain::appointments::ticket_label(appointment.is_some(), number),
            appointment_id: appointment.map(str::to_string),
            service_id: service_id.map(str::to_string),
            status: "waiting".into(),
            created_at: now,
            ..Default::default()
        };
        insert_ticket(tx, &t).await?;
        Ok(t)
    }
}

#[async_trait]
impl crate::AppointmentStore for SqlStore {
    async fn save_schedule(
        &self,
        s: &Schedule,
        slots: &[NewSlot],
        from: Millis,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "INSERT INTO appointment_schedules (id, office_id, service_id, place_kind, place_id, \
             place_name, place_address, spec, slots_until, generation, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) \
             ON CONFLICT (id) DO UPDATE SET place_name = excluded.place_name, \
             place_address = excluded.place_address, spec = excluded.spec, \
             slots_until = excluded.slots_until, updated_at = excluded.updated_at, \
             generation = appointment_schedules.generation + 1 RETURNING generation",
        )
        .bind(&s.id)
        .bind(&s.office_id)
        .bind(&s.service_id)
        .bind(&s.place_kind)
        .bind(&s.place_id)
        .bind(&s.place_name)
        .bind(&s.place_address)
        .bind(&s.spec)
        .bind(&s.slots_until)
        .bind(s.updated_at)
        .fetch_one(&mut *tx)
        .await?;
        let generation: i64 = r.try_get("generation")?;
        put_slots(&mut tx, (&s.id, &s.service_id), slots, generation, true).await?;
        // Slots the schedule no longer has: gone if nobody ever booked them, else closed.
        sqlx::query(
            "DELETE FROM appointment_slots WHERE schedule_id = $1 AND starts_at >= $2 \
             AND generation <> $3 AND taken = 0 AND NOT EXISTS \
             (SELECT 1 FROM appointments a WHERE a.slot_id = appointment_slots.id)",
        )
        .bind(&s.id)
        .bind(from)
        .bind(generation)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE appointment_slots SET capacity = taken WHERE schedule_id = $1 \
             AND starts_at >= $2 AND generation <> $3",
        )
        .bind(&s.id)
        .bind(from)
        .bind(generation)
        .execute(&mut *tx)
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn extend_slots(&self, schedule_id: &str, slots: &[NewSlot], until: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "UPDATE appointment_schedules SET slots_until = $1 WHERE id = $2 AND slots_until < $1 \
             RETURNING generation, service_id",
        )
        .bind(until)
        .bind(schedule_id)
        .fetch_optional(&mut *tx)
        .await?;
        // Another request made them first.
        let Some(r) = r else {
            return Ok(());
        };
        let generation: i64 = r.try_get("generation")?;
        let service: String = r.try_get("service_id")?;
        put_slots(&mut tx, (schedule_id, &service), slots, generation, false).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn schedule(&self, id: &str) -> Result<Option<Schedule>> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM appointment_schedules WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), schedule_from).await
    }

    async fn schedules(&self, office_id: &str, service: Option<&str>) -> Result<Vec<Schedule>> {
        let sql = format!(
            "SELECT {SCHEDULE_COLUMNS} FROM appointment_schedules WHERE office_id = $1 \
             AND ($2 = '' OR service_id = $2) ORDER BY place_name, id"
        );
        self.all(
            sqlx::query(&sql)
                .bind(office_id)
                .bind(service.unwrap_or("")),
            schedule_from,
        )
        .await
    }

    async fn schedules_at(&self, place_kind: &str, place_id: &str) -> Result<Vec<Schedule>> {
        let sql = format!(
            "SELECT {SCHEDULE_COLUMNS} FROM appointment_schedules WHERE place_kind = $1 \
             AND place_id = $2 ORDER BY id"
        );
        self.all(
            sqlx::query(&sql).bind(place_kind).bind(place_id),
            schedule_from,
        )
        .await
    }

    async fn slots(&self, service_id: &str, from: Millis, to: Millis) -> Result<Vec<Slot>> {
        let sql = format!(
            "SELECT {SLOT_COLUMNS} FROM appointment_slots s \
             JOIN appointment_schedules h ON h.id = s.schedule_id \
             WHERE s.service_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 \
             ORDER BY s.starts_at, h.place_name, s.id"
        );
        self.all(
            sqlx::query(&sql).bind(service_id).bind(from).bind(to),
            slot_from,
        )
        .await
    }

    async fn slot(&self, id: &str) -> Result<Option<Slot>> {
        let sql = format!(
            "SELECT {SLOT_COLUMNS} FROM appointment_slots s \
             JOIN appointment_schedules h ON h.id = s.schedule_id WHERE s.id = $1"
        );
        self.opt(sqlx::query(&sql).bind(id), slot_from).await
    }

    async fn take_places(&self, holds: &[NewHold], now: Millis) -> Result<Vec<Taken>> {
        let mut tx = self.writer.begin().await?;
        let mut out = Vec::with_capacity(holds.len());
        let mut audits = Vec::new();
        for h in holds {
            let a = &h.appointment;
            if self.backend == Backend::Postgres {
                // One person's bookings at once, one after the other: the count below is
                // then certain (SQLite has one writer anyway).
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                    .bind(&a.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            // Stored only while the person has fewer active bookings of the service than
            // allowed (counted in the same statement: one round trip, not two).
            let stored = sqlx::query(
                "INSERT INTO appointments (id, code, slot_id, schedule_id, service_id, user_id, \
                 status, holds_place, place_until, sequence, reminded, starts_at, created_at, \
                 updated_at) SELECT $1, $2, $3, $4, $5, $6, $7, 1, $8, 0, 0, $9, $10, $10 \
                 WHERE (SELECT COUNT(*) FROM appointments WHERE user_id = $6 AND service_id = $5 \
                 AND holds_place = 1 AND status IN ('held', 'booked') \
                 AND (place_until IS NULL OR place_until > $11)) < $12",
            )
            .bind(&a.id)
            .bind(&a.code)
            .bind(&a.slot_id)
            .bind(&a.schedule_id)
            .bind(&a.service_id)
            .bind(&a.user_id)
            .bind(&a.status)
            .bind(a.place_until)
            .bind(a.starts_at)
            .bind(a.created_at)
            .bind(now)
            .bind(h.max_active)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if stored == 0 {
                out.push(Taken::TooMany);
                continue;
            }
            // A free place is taken at once; only a full slot first gets back the places of
            // its expired holds (the sweep gives the others back in its round).
            let mut took = take_in_slot(&mut tx, &a.slot_id).await?;
            if !took {
                release_in_slot(&mut tx, &a.slot_id, now).await?;
                took = take_in_slot(&mut tx, &a.slot_id).await?;
            }
            if !took {
                sqlx::query("DELETE FROM appointments WHERE id = $1")
                    .bind(&a.id)
                    .execute(&mut *tx)
                    .await?;
                out.push(Taken::Full);
                continue;
            }
            if let Some((kind, payload)) = &h.job {
                insert_job(&mut tx, kind, payload, a.created_at).await?;
            }
            audits.push(&h.audit);
            out.push(Taken::Yes);
        }
        Self::audits_in(&mut tx, &audits).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn confirm_appointment(&self, id: &str, now: Millis, audit: &AuditEvent) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE appointments SET status = 'booked', place_until = NULL, updated_at = $2 \
             WHERE id = $1 AND status = 'held' AND holds_place = 1 AND place_until > $2",
        )
        .bind(id)
        .bind(now);
        self.exec_audited_if(q, audit).await
    }

    async fn cancel_appointment(
        &self,
        id: &str,
        now: Millis,
        release_at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE appointments SET status = 'cancelled', place_until = $3, updated_at = $2, \
             sequence = sequence + 1 WHERE id = $1 AND holds_place = 1 \
             AND (status = 'booked' OR (status = 'held' AND place_until > $2))",
        )
        .bind(id)
        .bind(now)
        .bind(release_at);
        self.exec_audited_if(q, audit).await
    }

    async fn move_appointment(
        &self,
        id: &str,
        slot_id: &str,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<Taken> {
        let mut tx = self.writer.begin().await?;
        let old = sqlx::query(
            "SELECT a.slot_id, s.starts_at FROM appointments a \
             JOIN appointment_slots s ON s.schedule_id = a.schedule_id AND s.id = $2 \
             WHERE a.id = $1 AND a.status = 'booked' AND a.holds_place = 1",
        )
        .bind(id)
        .bind(slot_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old) = old else {
            return Ok(Taken::Gone);
        };
        let old_slot: String = old.try_get("slot_id")?;
        let starts_at: i64 = old.try_get("starts_at")?;
        if old_slot == slot_id {
            return Ok(Taken::Yes);
        }
        release_in_slot(&mut tx, slot_id, now).await?;
        if !take_in_slot(&mut tx, slot_id).await? {
            return Ok(Taken::Full);
        }
        sqlx::query(GIVE_BACK)
            .bind(1i64)
            .bind(&old_slot)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE appointments SET slot_id = $2, starts_at = $3, sequence = sequence + 1, \
             reminded = 0, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(slot_id)
        .bind(starts_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Taken::Yes)
    }

    async fn release_places(&self, now: Millis) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(
            "UPDATE appointments SET holds_place = 0 WHERE id IN (SELECT id FROM appointments \
             WHERE holds_place = 1 AND place_until IS NOT NULL AND place_until <= $1 LIMIT 1000) \
             AND holds_place = 1 RETURNING slot_id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut per_slot: std::collections::BTreeMap<String, i64> = Default::default();
        for r in &rows {
            *per_slot.entry(r.try_get("slot_id")?).or_default() += 1;
        }
        for (slot, n) in &per_slot {
            sqlx::query(GIVE_BACK)
                .bind(*n)
                .bind(slot)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    async fn appointment(&self, id: &str) -> Result<Option<Appointment>> {
        let sql = format!("SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.id = $1");
        self.opt(sqlx::query(&sql).bind(id), appointment_from).await
    }

    async fn stranded_appointments(
        &self,
        schedule_id: &str,
        from: Millis,
    ) -> Result<Vec<Appointment>> {
        let sql = format!(
            "SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.schedule_id = $1 \
             AND a.starts_at >= $2 AND a.holds_place = 1 AND a.status IN ('held', 'booked') \
             AND s.generation <> h.generation ORDER BY a.starts_at, a.id LIMIT 1000"
        );
        self.all(
            sqlx::query(&sql).bind(schedule_id).bind(from),
            appointment_from,
        )
        .await
    }

    async fn appointment_by_code(&self, code: &str) -> Result<Option<Appointment>> {
        let sql = format!("SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.code = $1");
        self.opt(sqlx::query(&sql).bind(code), appointment_from)
            .await
    }

    async fn appointments_of(&self, user_id: &str) -> Result<Vec<Appointment>> {
        let sql = format!(
            "SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.user_id = $1 \
             AND NOT (a.status = 'held' AND a.holds_place = 0) \
             ORDER BY a.starts_at DESC, a.id LIMIT 200"
        );
        self.all(sqlx::query(&sql).bind(user_id), appointment_from)
            .await
    }

    async fn appointments_at(
        &self,
        schedule_ids: &[String],
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Appointment>> {
        let mut out = Vec::new();
        for id in schedule_ids {
            let sql = format!(
                "SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.schedule_id = $1 \
                 AND a.starts_at >= $2 AND a.starts_at < $3 \
                 AND a.status IN ('booked', 'checked-in', 'done', 'no-show') \
                 ORDER BY a.starts_at, a.id LIMIT 2000"
            );
            out.extend(
                self.all(
                    sqlx::query(&sql).bind(id).bind(from).bind(to),
                    appointment_from,
                )
                .await?,
            );
        }
        out.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        Ok(out)
    }

    async fn due_reminders(
        &self,
        from: Millis,
        to: Millis,
        limit: i64,
    ) -> Result<Vec<Appointment>> {
        let sql = format!(
            "SELECT {APPT_COLUMNS} FROM {APPT_FROM} WHERE a.reminded = 0 AND a.status = 'booked' \
             AND a.starts_at >= $1 AND a.starts_at < $2 ORDER BY a.starts_at LIMIT $3"
        );
        self.all(
            sqlx::query(&sql).bind(from).bind(to).bind(limit),
            appointment_from,
        )
        .await
    }

    async fn remind(&self, id: &str, job: Option<(&str, &str)>, now: Millis) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query("UPDATE appointments SET reminded = 1 WHERE id = $1 AND reminded = 0")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if let (1, Some((kind, payload))) = (n, job) {
            insert_job(&mut tx, kind, payload, now).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn mark_no_show(&self, id: &str, now: Millis, audit: &AuditEvent) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE appointments SET status = 'no-show', updated_at = $2 WHERE id = $1 \
             AND status = 'booked'",
        )
        .bind(id)
        .bind(now);
        self.exec_audited_if(q, audit).await
    }

    async fn no_shows_of(&self, user_id: &str, since: Millis) -> Result<Vec<Millis>> {
        self.all(
            sqlx::query(
                "SELECT starts_at FROM appointments WHERE user_id = $1 AND status = 'no-show' \
                 AND starts_at >= $2 ORDER BY starts_at",
            )
            .bind(user_id)
            .bind(since),
            |r| r.try_get(0),
        )
        .await
    }

    async fn check_in_appointment(
        &self,
        appointment_id: &str,
        place_key: &str,
        day: &str,
        now: Millis,
    ) -> Result<Option<QueueTicket>> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "UPDATE appointments SET status = 'checked-in', updated_at = $2 \
             WHERE id = $1 AND status = 'booked' RETURNING service_id",
        )
        .bind(appointment_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = r else {
            return Ok(None);
        };
        let service: String = r.try_get("service_id")?;
        let t = self
            .new_ticket(
                &mut tx,
                place_key,
                day,
                Some(appointment_id),
                Some(&service),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(Some(t))
    }

    async fn walk_in(
        &self,
        place_key: &str,
        day: &str,
        service_id: Option<&str>,
        now: Millis,
    ) -> Result<QueueTicket> {
        let mut tx = self.writer.begin().await?;
        let t = self
            .new_ticket(&mut tx, place_key, day, None, service_id, now)
            .await?;
        tx.commit().await?;
        Ok(t)
    }

    async fn call_next(
        &self,
        place_key: &str,
        day: &str,
        user_id: &str,
        desk: &str,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<Option<QueueTicket>> {
        // PostgreSQL: two officials calling at once each get another ticket (SKIP LOCKED);
        // SQLite has one writer.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.writer.begin().await?;
        let sql = format!(
            "UPDATE queue_tickets SET status = 'called', called_at = $3, called_by = $4, \
             desk = $5 WHERE id = (SELECT id FROM queue_tickets WHERE place_key = $1 \
             AND day = $2 AND status = 'waiting' ORDER BY created_at, number LIMIT 1{lock}) \
             RETURNING {TICKET_COLUMNS}"
        );
        let t = sqlx::query(&sql)
            .bind(place_key)
            .bind(day)
            .bind(now)
            .bind(user_id)
            .bind(desk)
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(ticket_from)
            .transpose()?;
        if t.is_some() {
            Self::audit_in(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(t)
    }

    async fn finish_ticket(
        &self,
        id: &str,
        status: &str,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "UPDATE queue_tickets SET status = $2, finished_at = $3 WHERE id = $1 \
             AND status = 'called' RETURNING appointment_id",
        )
        .bind(id)
        .bind(status)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = r else {
            return Ok(false);
        };
        let appointment: Option<String> = r.try_get("appointment_id")?;
        if let Some(a) = appointment {
            sqlx::query(
                "UPDATE appointments SET status = $2, updated_at = $3 WHERE id = $1 \
                 AND status = 'checked-in'",
            )
            .bind(&a)
            .bind(status)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn ticket(&self, id: &str) -> Result<Option<QueueTicket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), ticket_from).await
    }

    async fn tickets(&self, place_key: &str, day: &str) -> Result<Vec<QueueTicket>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE place_key = $1 AND day = $2 \
             ORDER BY number LIMIT 5000"
        );
        self.all(sqlx::query(&sql).bind(place_key).bind(day), ticket_from)
            .await
    }

    async fn wait_days(&self, place_key: &str, since_day: &str) -> Result<Vec<WaitDay>> {
        self.all(
            sqlx::query(
                "SELECT day, COUNT(*) AS called, \
                 CAST(AVG(called_at - created_at) AS BIGINT) AS mean_wait, \
                 MAX(called_at - created_at) AS max_wait FROM queue_tickets \
                 WHERE place_key = $1 AND day >= $2 AND called_at IS NOT NULL \
                 GROUP BY day ORDER BY day DESC LIMIT 90",
            )
            .bind(place_key)
            .bind(since_day),
            |r| {
                Ok(WaitDay {
                    day: r.try_get("day")?,
                    called: r.try_get("called")?,
                    mean_wait_ms: r.try_get("mean_wait")?,
                    max_wait_ms: r.try_get("max_wait")?,
                })
            },
        )
        .await
    }

    async fn set_calendar_feed(
        &self,
        user_id: &str,
        token_hash: Option<&str>,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if let Some(h) = token_hash {
            sqlx::query(
                "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(h)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn calendar_feed_user(&self, token_hash: &str) -> Result<Option<String>> {
        self.opt(
            sqlx::query("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
                .bind(token_hash),
            first_text,
        )
        .await
    }

    async fn has_calendar_feed(&self, user_id: &str) -> Result<bool> {
        Ok(self
            .opt(
                sqlx::query("SELECT user_id FROM calendar_feeds WHERE user_id = $1").bind(user_id),
                first_text,
            )
            .await?
            .is_some())
    }
}
