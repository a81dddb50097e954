-- Tasks beyond a case: a to-do for oneself or a colleague of the office, on a case, an
-- electronic application (its reference) or a message (its id), or on nothing. Each task is
-- on the board of its assignee's department (none for who works in no department), may be
-- started, reassigned and commented. The table is made anew (case_id may now be empty, which
-- SQLite cannot change in place) with the case tasks carried over.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    department_id TEXT REFERENCES departments(id),
    case_id TEXT REFERENCES cases(id),
    link_kind TEXT,
    link_id TEXT,
    link_label TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    assignee_id TEXT NOT NULL REFERENCES users(id),
    due_on TEXT,
    status TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    closed_by TEXT REFERENCES users(id),
    closed_at BIGINT
);
INSERT INTO tasks (id, office_id, department_id, case_id, kind, text, assignee_id, due_on,
    status, answer, created_by, created_at, closed_by, closed_at)
SELECT t.id, t.office_id, c.department_id, t.case_id, t.kind, t.text, t.assignee_id, t.due_on,
    t.status, t.answer, t.created_by, t.created_at, t.closed_by, t.closed_at
FROM case_tasks t JOIN cases c ON c.id = t.case_id;
DROP TABLE case_tasks;
CREATE INDEX tasks_case ON tasks (case_id, created_at);
CREATE INDEX tasks_assignee ON tasks (assignee_id, status, due_on);
CREATE INDEX tasks_department ON tasks (department_id, status, due_on);
CREATE INDEX tasks_link ON tasks (link_kind, link_id);
-- What colleagues say on a task, the oldest first.
CREATE TABLE task_comments (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX task_comments_task ON task_comments (task_id, created_at);
