//! The demo office's work in progress: a task Anna (OR) gave Piotr (GK), a to-do Piotr is
//! working on with a comment, and Anna's own to-do with a due day, so that the lists, the
//! boards and the calendar show something at once.

use super::TaskInput;
use crate::demo::demo_principal;
use crate::Services;
use okienko_domain::DomainError;

/// Seeds the three tasks once (an office whose officials have tasks is left as it is).
pub async fn seed(s: &Services) -> Result<(), DomainError> {
    let (Ok(anna), Ok(piotr)) = (
        demo_principal(s, "anna.nowak@okienko.test").await,
        demo_principal(s, "piotr.zielinski@okienko.test").await,
    ) else {
        return Ok(());
    };
    if !s.store.open_tasks_of(&anna.user.id).await?.is_empty()
        || !s.store.open_tasks_of(&piotr.user.id).await?.is_empty()
    {
        return Ok(());
    }
    let task = |assignee: &str, text: &str, due_on: String| TaskInput {
        kind: "task".into(),
        assignee: assignee.to_string(),
        text: text.into(),
        due_on,
        link: None,
    };
    s.add_task(
        &anna,
        &task(
            &piotr.user.id,
            "Sprawdzić stan drzew przy ul. Źródlanej przed sezonem wycinek",
            String::new(),
        ),
    )
    .await?;
    let own = s
        .add_task(
            &piotr,
            &task(
                &piotr.user.id,
                "Zestawienie wycinek drzew za listopad dla rady gminy",
                String::new(),
            ),
        )
        .await?;
    s.start_task(&piotr, &own.id).await?;
    s.comment_task(&piotr, &own.id, "Brakuje jeszcze dwóch decyzji z Parszowa.")
        .await?;
    let due = (s.local_today() + time::Duration::days(3)).to_string();
    s.add_task(
        &anna,
        &task(
            &anna.user.id,
            "Przygotować harmonogram dyżurów na grudzień",
            due,
        ),
    )
    .await?;
    Ok(())
}
