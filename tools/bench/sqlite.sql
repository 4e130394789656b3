-- A scripted sqlite3 workload for tools/bench: inserts, an index, lookups,
-- aggregates and deletes on an in-memory database; .timer gives the time.
.timer on
CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, payload BLOB, score REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO items SELECT i, printf('item-%08d-%s', i, hex(randomblob(8))), randomblob(64 + i % 512),
       abs(random() % 100000) / 100.0 FROM n;
CREATE INDEX items_name ON items(name);
CREATE INDEX items_score ON items(score);
SELECT count(*), sum(length(payload)) FROM items WHERE name LIKE 'item-0005%';
SELECT avg(score), max(length(name)) FROM items GROUP BY id % 97 ORDER BY 1 LIMIT 3;
UPDATE items SET payload = randomblob(200) WHERE id % 3 = 0;
DELETE FROM items WHERE score < 250;
SELECT count(*) FROM items;
