-- Remembered answers of the compatibility routes, version 11 (0009 and 0010 are other branches').
--
-- The WorkOS clients send an `Idempotency-Key` on every POST and retry with the same key; the
-- answer given the first time is replayed for 24 hours instead of doing the work again. `scope`
-- names the credential and the route; `request_hash` is the SHA-256 of the body, so that a key
-- reused with another body is refused.
CREATE TABLE idempotent_answers (
    organization_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, scope, key)
);
CREATE INDEX idempotent_answers_age ON idempotent_answers (organization_id, created_at);
