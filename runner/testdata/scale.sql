-- Generates a scale store for the production benchmarks: :issues issues
-- over :repos repositories and :comments comments, with bodies and raw
-- JSON shaped like GitHub's (sizes close to real issues: a 0.7-1.5 KB body
-- with a log block, a raw object repeating it). Run on a migrated, empty
-- errata database:
--
--   psql "$DB" -v issues=1000000 -v comments=5000000 -v repos=1000 -f runner/testdata/scale.sql
--
-- With -v first=N it appends to a store that this script filled with N
-- issues (issue numbers N to N+issues-1, comments numbered on from
-- N*comments/issues, the same repositories): the "new issues" of an
-- incremental run, as a sync would have stored them, without the final
-- VACUUM ANALYZE:
--
--   psql "$DB" -v issues=1000 -v comments=5000 -v repos=1000 -v first=1000000 -f runner/testdata/scale.sql
--
-- Error texts come from 5,000 synthetic families (ten message shapes with
-- a family number and variable parts), written for this benchmark.
\set ON_ERROR_STOP on
\if :{?first}
\else
\set first 0
\endif
SET synchronous_commit = off;
SELECT set_config('errata.issues', :'issues', false), set_config('errata.comments', :'comments', false),
       set_config('errata.repos', :'repos', false), set_config('errata.first', :'first', false),
       :first = 0 AS fresh \gset

INSERT INTO repositories (full_name)
SELECT format('org%s/project-%s', r % 97, r) FROM generate_series(1, :repos) r
ON CONFLICT (full_name) DO NOTHING;

CREATE TEMP TABLE msg AS
SELECT k, m FROM (VALUES
 (0, 'Error: connect ECONNREFUSED 10.%s.%s.%s:%s (service svc%s)'),
 (1, 'HTTP 429 Too Many Requests: rate limit exceeded for model m%s, retry after %s seconds (quota %s)'),
 (2, 'panic: runtime error: index out of range [%s] with length %s in package pkg%s'),
 (3, 'TypeError: Cannot read properties of undefined (reading ''field%s'') at handler%s.js:%s:%s'),
 (4, 'invalid_grant: refresh token expired for client app%s (session %s, tenant %s)'),
 (5, 'x509: certificate signed by unknown authority for host h%s.example.com:%s (%s)'),
 (6, 'EACCES: permission denied, open ''/home/user%s/.cache/tool%s/%s.json'''),
 (7, 'json-rpc error -32000: server error in method call%s (request %s, code %s)'),
 (8, 'OSError: [Errno 28] No space left on device: ''/var/tmp/build%s/%s/%s'''),
 (9, 'fatal: unable to access ''https://git.example.com/repo%s.git/'': Failed to connect port %s: %s')
) v(k, m);

-- Issues, in batches of 100k (one transaction each).
DO $$
DECLARE
  first bigint := current_setting('errata.first')::bigint;
  n bigint := first + current_setting('errata.issues')::bigint;
  nrepos int := current_setting('errata.repos')::int;
  b bigint := first;
BEGIN
  WHILE b < n LOOP
    INSERT INTO issues (repository_id, number, github_id, node_id, state, state_reason, title, body, author,
                        author_association, labels, reactions, reactions_total, comment_count, html_url,
                        created_at, updated_at, closed_at, raw)
    SELECT rid, num, 500000000 + i, 'I_kw' || md5(i::text), st, CASE WHEN st = 'closed' THEN 'completed' END,
           title, body, 'user' || (i * 7919 % 200000), 'NONE', ARRAY['bug', 'area/' || (fam % 40)],
           jsonb_build_object('total_count', i % 7, '+1', i % 5), i % 7, 5, url, created, updated,
           CASE WHEN st = 'closed' THEN updated END,
           jsonb_build_object('id', 500000000 + i, 'number', num, 'title', title, 'body', body, 'state', st,
                              'html_url', url, 'user', jsonb_build_object('login', 'user' || (i * 7919 % 200000), 'type', 'User'),
                              'labels', jsonb_build_array(jsonb_build_object('name', 'bug')), 'comments', 5,
                              'created_at', created, 'updated_at', updated, 'author_association', 'NONE')
    FROM (
      SELECT i, rid, num, fam, st, created, updated, url,
             format('%s after upgrade (%s)', em, left(md5(i::text), 6)) AS title,
             format(E'### What happened\n\nAfter upgrading to v%s.%s.%s the command fails every time on %s.\n\n```\n%s\n    at main (src/main.ts:%s:%s)\n    at run (src/run.ts:%s:%s)\n```\n\n### Steps to reproduce\n\n1. Install version %s.%s\n2. Run the sync command against project %s\n3. See the error above\n\n### Environment\n\n- OS: %s\n- Runtime: %s\n\n%s',
                    i % 4, i % 13, i % 31, CASE WHEN i % 3 = 0 THEN 'macOS' ELSE 'Linux' END, em, i % 300, i % 80, i % 120, i % 40,
                    i % 4, i % 13, md5((i * 3)::text), CASE WHEN i % 3 = 0 THEN 'macOS 14' ELSE 'Ubuntu 22.04' END,
                    'node 20.' || (i % 12), repeat('Additional context: ' || md5(i::text) || E'. ', (8 + (i % 16))::int)) AS body
      FROM (
        SELECT i, 1 + (i % nrepos) AS rid, 1 + (i / nrepos)::int AS num, fam,
               CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'open' END AS st,
               timestamptz '2024-11-01' + i * interval '63 seconds' AS created,
               timestamptz '2024-11-01' + i * interval '63 seconds' + (i % 30) * interval '1 day' AS updated,
               format('https://github.com/org%s/project-%s/issues/%s', (1 + (i % nrepos)) % 97, 1 + (i % nrepos), 1 + (i / nrepos)) AS url,
               format((SELECT m FROM msg WHERE k = fam % 10), fam, i % 250, i % 7, 1000 + i % 9000, fam % 97) AS em
        FROM (SELECT i, (abs(hashint8(i)) % 5000)::int AS fam FROM generate_series(b, least(b + 100000, n) - 1) i) g
      ) x
    ) y;
    b := b + 100000;
    COMMIT;
    RAISE NOTICE 'issues: %', b;
  END LOOP;
END $$;

-- Comments, in batches of 250k.
DO $$
DECLARE
  nissues bigint := current_setting('errata.issues')::bigint;
  cfirst bigint := current_setting('errata.first')::bigint * current_setting('errata.comments')::bigint / nissues;
  n bigint := cfirst + current_setting('errata.comments')::bigint;
  -- the issues of this run have consecutive ids from base (one session, in order)
  base bigint := (SELECT min(id) FROM issues WHERE github_id >= 500000000 + current_setting('errata.first')::bigint);
  b bigint := cfirst;
BEGIN
  WHILE b < n LOOP
    INSERT INTO comments (issue_id, source_key, github_id, author, author_association, body, reactions_total,
                          html_url, created_at, updated_at, raw)
    SELECT iid, (900000000 + j)::text, 900000000 + j, 'user' || (j * 104729 % 300000), 'NONE', body, j % 3,
           'https://github.com/x/y/issues/1#issuecomment-' || (900000000 + j), created, created,
           jsonb_build_object('id', 900000000 + j, 'body', body, 'user', jsonb_build_object('login', 'user' || (j * 104729 % 300000)),
                              'created_at', created, 'updated_at', created, 'author_association', 'NONE')
    FROM (
      SELECT j, base + ((j - cfirst) % nissues) AS iid,
             timestamptz '2024-11-01' + (current_setting('errata.first')::bigint + (j - cfirst) % nissues) * interval '63 seconds'
               + (1 + j % 20) * interval '1 hour' AS created,
             CASE j % 4
               WHEN 0 THEN 'Same here, also on ' || md5(j::text)
               WHEN 1 THEN E'Workaround: downgrade to the previous version and clear the cache:\n\n```\nrm -rf ~/.cache/tool\n```\n' || md5(j::text)
               WHEN 2 THEN 'Can you share the full log with debug enabled? ' || repeat(md5(j::text), 2)
               ELSE 'Fixed in v' || (j % 4) || '.' || (j % 13) || ' for me, thanks! ' || md5(j::text)
             END AS body
      FROM generate_series(b, least(b + 250000, n) - 1) j
    ) c;
    b := b + 250000;
    COMMIT;
    RAISE NOTICE 'comments: %', b;
  END LOOP;
END $$;

\if :fresh
VACUUM ANALYZE issues;
VACUUM ANALYZE comments;
\endif
