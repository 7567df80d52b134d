// Package forge writes rollout verdicts back to the forge that hosts the
// Git repository: commit statuses and Check Runs on the commit being
// rolled out, and pull requests that revert a failed change.
//
// [GitHub] is the implementation, built on go-github v60. It works against
// github.com, GitHub Enterprise Server (REST base https://<host>/api/v3/)
// and the playground's emulator (playground/forgeemu), which the tests of
// this package run against. [ParseRepository] turns the Git URL that sluice
// watches into the REST base, owner and repository name.
//
// Every method takes a context first and retries what another try may fix:
// transport errors, 5xx answers and rate limits (up to a minute's wait),
// with backoff, up to GitHubOptions.Retries times. A 4xx answer is never
// retried. A failed request is an [*Error], which carries the HTTP status
// for callers to branch on and never contains the token; invalid arguments
// are refused with a plain error before any request is sent.
//
// Writes are safe to retry and to repeat after a restart:
// [GitHub.OpenPullRequest] returns the open pull request from the same head
// into the same base instead of opening a second one, also when a lost
// answer hid that the first try succeeded; [GitHub.ClosePullRequest] does
// not post the same comment twice and does nothing to a closed pull
// request; [GitHub.SetStatus] at worst records the same status twice,
// which changes nothing that GitHub shows; [GitHub.SetCheckRun] keeps one
// Check Run per commit and name, looking it up before it creates one.
//
// # Contract
//
// These are all the GitHub REST endpoints sluice uses, with the token sent
// as "Authorization: Bearer <token>". The emulator implements each of them
// and this package's tests pin their behaviour:
//
//	POST  /repos/{owner}/{repo}/statuses/{sha}              SetStatus
//	GET   /repos/{owner}/{repo}/commits/{ref}/status        Statuses (combined status, per_page=100)
//	GET   /repos/{owner}/{repo}/pulls?state=open&head={owner}:{branch}[&base={base}]
//	                                                        FindPullRequest, OpenPullRequest
//	POST  /repos/{owner}/{repo}/pulls                       OpenPullRequest
//	GET   /repos/{owner}/{repo}/pulls/{number}              PullRequest, ClosePullRequest
//	PATCH /repos/{owner}/{repo}/pulls/{number}              ClosePullRequest ({"state": "closed"})
//	GET   /repos/{owner}/{repo}/issues/{number}/comments    ClosePullRequest (is the comment there yet?)
//	POST  /repos/{owner}/{repo}/issues/{number}/comments    ClosePullRequest
//	GET   /repos/{owner}/{repo}/commits/{sha}/check-runs?check_name={name}&filter=latest
//	                                                        SetCheckRun (is there a run of that name?)
//	POST  /repos/{owner}/{repo}/check-runs                  SetCheckRun (create)
//	PATCH /repos/{owner}/{repo}/check-runs/{id}             SetCheckRun (update)
//
// Check Runs need GitHub App authentication (an installation token, see
// [NewAppTokenSource]); a personal token is answered 403, which is an
// [*Error] with that status like other 4xx.
//
// Lists are read page by page following the Link header. The answers
// relied upon: 201 for a created status, Check Run, pull request or
// comment; 200 for reads and updates; 422 with "A pull request already
// exists" for a duplicate pull request; 404 for an unknown pull request or
// Check Run; 401 for a bad token; 403 for a Check Run written without an
// App.
package forge
