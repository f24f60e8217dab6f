-- name: IssueGet :one
SELECT i.id, r.full_name, i.number, i.github_id, i.node_id, i.is_pull_request, i.state,
    i.state_reason, i.title, i.body, i.author, i.author_association, i.labels, i.reactions, i.reactions_total,
    i.comment_count, i.html_url, i.created_at, i.updated_at, i.closed_at, i.raw
FROM issues i JOIN repositories r ON r.id = i.repository_id
WHERE lower(r.full_name) = lower(@repo::text) AND i.number = @number::int;

-- name: CountsGet :one
SELECT
    (SELECT count(*) FROM repositories) AS repositories,
    (SELECT count(*) FROM issues WHERE NOT is_pull_request) AS issues,
    (SELECT count(*) FROM issues WHERE is_pull_request) AS pull_requests,
    (SELECT count(*) FROM comments) AS comments;

-- name: RepositoriesInsert :exec
-- repositoryIDs (issues.go): names in sorted order, so concurrent inserts
-- take their locks alike and cannot deadlock.
INSERT INTO repositories (full_name) SELECT unnest(@names::text[]) ON CONFLICT DO NOTHING;

-- name: RepositoryIDsGet :many
SELECT id, lower(full_name)::text AS name FROM repositories WHERE lower(full_name) = ANY(@names::text[]);
