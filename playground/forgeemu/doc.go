// Package forgeemu is a local stand-in for github.com: an HTTP server that
// speaks the part of GitHub's REST API sluice uses, on top of one real bare
// Git repository that it also serves over Git smart HTTP.
//
// A [Server] is made with [New] and started with [Server.Start]; it listens
// on a loopback port. The repository lives on disk in Options.Dir, so its
// branches are real Git: clones and pushes go through git http-backend, and
// merging a pull request writes a real merge commit on the base branch.
// Pull requests, commit statuses, comments and Check Runs are kept in
// memory; [Server.CheckRuns] reads the Check Runs.
//
// The REST API is served both at the root (URL + "/repos/...") and under
// /api/v3/ (GitHub Enterprise's layout), so a go-github client works with
// its BaseURL set to [Server.APIURL] or with WithEnterpriseURLs(URL). The
// implemented endpoints are, for the one repository {owner}/{repo}:
//
//	POST  /repos/{owner}/{repo}/statuses/{sha}                create a commit status
//	GET   /repos/{owner}/{repo}/commits/{ref}/statuses        list statuses, newest first
//	GET   /repos/{owner}/{repo}/commits/{ref}/status          combined status
//	POST  /repos/{owner}/{repo}/pulls                         create a pull request
//	GET   /repos/{owner}/{repo}/pulls                         list pull requests (state, head, base, sort, direction)
//	GET   /repos/{owner}/{repo}/pulls/{number}                get a pull request
//	PATCH /repos/{owner}/{repo}/pulls/{number}                update title, body, state, base
//	GET   /repos/{owner}/{repo}/pulls/{number}/merge          204 if merged, else 404
//	PUT   /repos/{owner}/{repo}/pulls/{number}/merge          merge with a merge commit
//	GET   /repos/{owner}/{repo}/pulls/{number}/files          files changed, with patches
//	GET   /repos/{owner}/{repo}/issues/{number}/comments      list comments on a pull request
//	POST  /repos/{owner}/{repo}/issues/{number}/comments      comment on a pull request
//	POST  /repos/{owner}/{repo}/hooks                         register a webhook (content_type json)
//	POST  /repos/{owner}/{repo}/check-runs                    create a Check Run (GitHub App only)
//	PATCH /repos/{owner}/{repo}/check-runs/{id}               update a Check Run (GitHub App only)
//	GET   /repos/{owner}/{repo}/check-runs/{id}               get a Check Run
//	GET   /repos/{owner}/{repo}/commits/{ref}/check-runs      list Check Runs (check_name, status, filter, app_id)
//
// Lists are paginated with per_page (default 30, at most 100) and page, and
// answer a Link header as GitHub does.
//
// The emulator is honest: what it does not implement fails loudly instead
// of pretending to succeed. An unknown path answers 404, a known path with a
// method it does not serve answers 405, and a GitHub endpoint or option it
// knows of but does not implement (another merge method, another sort
// order, the diff media type, issues that are not pull requests, forks)
// answers 501; all with GitHub's JSON error body
// {"message": ..., "documentation_url": ...}. Validation failures answer
// 422 with GitHub's "Validation Failed" shape. The web pages that html_url
// fields name are not served. Where it differs from GitHub it is stricter:
// the head filter of the pull request list must read owner:branch, and a
// commit status can only be created for a commit SHA. Like GitHub, it
// closes an open pull request whose head branch was deleted and marks
// merged one whose head was pushed into its base.
//
// Authentication is GitHub's: the REST API wants the header
// "Authorization: Bearer <token>" (or "token <token>") and answers 401
// otherwise; Git wants HTTP basic authentication whose password is the
// token, any user name, and answers 401 with a WWW-Authenticate challenge
// otherwise. With Options.App set, the emulator also mints installation
// tokens of a GitHub App and accepts them; as on GitHub, only those may
// create or update Check Runs, and the personal token is answered 403
// "You must authenticate via a GitHub App.".
//
// For tests, [Server.Requests] is the log of the requests served, and
// [Server.FailNext] and [Server.FailAfter] inject failures: the first
// answers an error without doing anything, the second does the work and
// then answers an error, as a forge whose response was lost on the way.
// [Server.Commit] writes commits on a branch with Git itself, as a
// developer's push would.
//
// Webhooks: as GitHub, the emulator pings a hook when it is registered and
// delivers a push event (X-GitHub-Event, X-GitHub-Delivery,
// X-GitHub-Hook-ID, X-Hub-Signature-256 with the hook's secret; ref,
// before, after, repository.full_name and clone_url in the payload) each
// time a branch moves, appears or is deleted: a push over smart HTTP, a
// merged pull request, [Server.Commit]. Deliveries are not retried;
// [Server.Deliveries] lists them.
package forgeemu
