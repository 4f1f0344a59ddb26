-- One row per answer to "Is this page useful?", and one per comment sent
-- after it. Kept: the page, the answer, the text, the day. No id and no
-- time of day, so rows cannot be put in the order they arrived; no
-- address, browser or cookie. Dialect-neutral: SQLite and PostgreSQL both
-- run this file as it is.
CREATE TABLE feedback (
    page TEXT NOT NULL,
    useful INTEGER NOT NULL CHECK (useful IN (0, 1)),
    comment TEXT NOT NULL,
    followup INTEGER NOT NULL CHECK (followup IN (0, 1)),
    day TEXT NOT NULL
);
CREATE INDEX feedback_day ON feedback (day);
CREATE INDEX feedback_page ON feedback (page, day);
