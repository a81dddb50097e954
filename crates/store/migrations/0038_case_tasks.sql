-- Work for colleagues on a case: a task or a request for an internal opinion, given to one
-- official with an optional due day (YYYY-MM-DD), open until done (with its answer) or
-- cancelled. Listed by case and by whose it is.
CREATE TABLE case_tasks (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    assignee_id TEXT NOT NULL REFERENCES users(id),
    due_on TEXT,
    status TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    closed_by TEXT REFERENCES users(id),
    closed_at BIGINT
);
CREATE INDEX case_tasks_case ON case_tasks (case_id, created_at);
CREATE INDEX case_tasks_assignee ON case_tasks (assignee_id, status, due_on);
