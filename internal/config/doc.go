// Package config reads .stagehand.yaml, the file at the root of a config
// repo that tells stagehand which images to promote, through which stages,
// and where each stage pins them.
//
// Parse is strict: unknown keys, wrong types and bad values are errors, and
// every problem in the file is reported at once, each with its file, line
// and column, in an *Error.
//
// # The file
//
//	stages:                        # promotion order, first to last
//	  - name: staging
//	    mode: auto-merge
//	  - name: preprod
//	    mode: pull-request
//	    soak: 30m
//	  - name: prod
//	    mode: manual
//	    approvers: [alice, "@acme/platform"]
//	    windows:                   # when nothing moves into prod
//	      - deny: "Fri 16:00 - Mon 08:00"
//	        timezone: Europe/Berlin
//	      - deny: "2026-12-20 - 2027-01-04"
//	apps:
//	  - name: web
//	    image: ghcr.io/acme/web
//	    tags:
//	      semver: ">=1.0.0"
//	    stages:
//	      staging: apps/web/overlays/staging
//	      preprod: apps/web/overlays/preprod
//	      prod: apps/web/overlays/prod
//	groups:                        # optional: apps that release together
//	  - name: shop
//	    apps: [web, api, "shop-*"]
//	    window: 2s
//
// # Top level
//
//   - stages (required, non-empty list): the stages in promotion order; an
//     image enters the first and moves one stage at a time.
//   - apps (required list; `apps: []` for none yet): the images to promote.
//   - groups (optional list): apps that release together, such as the images
//     one CI run or one monorepo builds.
//   - notify (optional list, at most 10): receivers of outgoing webhooks.
//
// # A stage
//
//   - name (required): lower-case letters, digits and inner dashes
//     (^[a-z0-9]([a-z0-9-]*[a-z0-9])?$), unique among stages, and not "all"
//     (`/promote <app> to all`). It becomes part of branch names
//     (stagehand/<app>/<stage>) and labels.
//   - mode (required): how a promotion into this stage lands.
//     auto-merge opens the PR and merges it once required checks pass;
//     pull-request opens the PR and a person merges it; manual moves nothing
//     until someone promotes it.
//   - after (optional, non-empty list of stage names): the stages this one
//     follows, which it takes images from. Without it a stage follows the
//     stage above it, so a file without after: is a straight line; the first
//     stage follows none and may not have it. A merge moves an image on to
//     every stage that follows; a stage after several takes an image only
//     once all of them run it. Unknown names, the stage itself, repeats,
//     cycles and stages no image can reach from the first are errors.
//   - soak (optional): a Go duration above zero, such as 30m or 1h30m. A
//     bare number is refused because it has no unit. After several stages,
//     the image must have soaked in each.
//   - approvers (optional list): GitHub logins (alice, without "@") or teams
//     as @org/team-slug. Each may appear once, ignoring case.
//   - verify (optional, non-empty list of `- context: NAME`): the commit
//     statuses or check runs that say the stage runs healthy, as Flux's
//     notification-controller (kustomization/apps-staging) or Argo CD's
//     notifications post them on the config repository's commit they
//     applied. After a merge into the stage, the image moves on to the next
//     stage (and its soak starts) only once every context is success on the
//     merge commit, or on a later commit of the base branch that still pins
//     the image; a failure or an error stops it there.
//   - verify_timeout (optional, only with verify): a Go duration above zero;
//     default 30m. Contexts not all green by then stop the image as a
//     failure does.
//   - on_failure (optional, only with verify): stop (the default: the image
//     goes no further) or hold (the stage is held too, with a /rollback
//     suggestion).
//   - windows (optional list, at most 50): freeze windows, each a mapping
//     with deny (required) and timezone (optional, an IANA name such as
//     Europe/Berlin; default UTC; "Local" is refused). deny is either a
//     weekly range of day and 24-hour time, "Fri 16:00 - Mon 08:00", which
//     may wrap the week and ends just before its last minute, or a range of
//     dates, "2026-12-20 - 2027-01-04", each whole day included (the dash
//     stands between spaces). Days are Mon … Sun. Times follow the zone's
//     daylight saving. Only deny windows exist: the times outside an
//     "allowed" range are a deny range too. Windows that together deny the
//     whole week are refused. See internal/window.
//
// # An app
//
//   - name (required): same shape as a stage name, unique among apps.
//   - image (required): an image repository as go-containerregistry parses
//     it, such as ghcr.io/acme/web or nginx (docker.io/library/nginx). No tag
//     and no digest: tags come from the registry.
//   - tags (required mapping, exactly one key): which pushed tags may enter
//     the first stage. semver is a version range as Masterminds/semver reads
//     it (">=1.0.0", "~1.4"); pattern is a Go regular expression matched
//     against the tag, anchored only if you anchor it ('^main-[0-9a-f]{7}$').
//   - stages (required mapping): for every stage, and only those, the
//     kustomization that pins the image there, relative to the repo root. A
//     folder means its kustomization.yaml; a name ending in .yaml or .yml, or
//     exactly "Kustomization", is the file itself. Paths are cleaned, must not
//     start with "/" or leave the repo with "..", and two stages of one app
//     may not share a file. Instead of a kustomization, a stage may name a
//     mapping: file (required, a .yaml or .yml file) and exactly one of tag
//     (a Helm values path, such as image.tag, written "1.2.3@sha256:…") or
//     image (a path to a full reference, such as
//     spec.template.spec.containers[name=web].image); digest (with tag
//     only) is the path the digest goes to, and tag then gets the tag alone.
//     Paths are dotted keys, [n] indexes and [key=value] selectors.
//
// # A group
//
// Pushes of a group's images that come within its window of each other
// become one pull request per stage that moves them all, in one commit,
// on the branch stagehand/<group>/<stage>; once it is merged, the same set
// of digests is proposed for the next stage, again as one pull request.
// `/promote <group> to <stage>` and `stagehand promote --app <group>` move
// the group; a /promote of a member moves its whole group. Rollbacks,
// holds and releases stay per app, and a group does not move into a stage
// while any member is held there. Apps in no group behave as without
// groups.
//
//   - name (required): same shape as an app name, unique among groups and
//     different from every app's name, since commands take either.
//   - apps (required, non-empty list): app names, or wildcards in which *
//     stands for any run of name characters ("shop-*"), each matching at
//     least one app. An app is in one group at most; a group has at most
//     200 apps.
//   - window (optional): a Go duration above zero and at most 1m; default
//     2s. stagehand waits this long after a member's push for the others;
//     every push within the window extends it, for at most ten windows in
//     all, so that a steady stream of pushes still moves.
//
// # A receiver (notify:)
//
// stagehand posts an event to each receiver when a promotion PR is opened
// or updated, merged, refused, a stage is held or released, or rolled back
// (internal/notify; the README's Notifications section has the schema).
// No secret belongs in the file: URLs that are secrets and signing keys
// are named as environment variables of the stagehand server.
//
//   - url, or url_env (exactly one): the receiver's http:// or https:// URL,
//     or the name of the server's environment variable that holds it. A
//     Slack webhook URL is a secret and is refused as url.
//   - format (required): json (the versioned event, signed) or slack (a
//     Slack incoming webhook's body).
//   - secret_env (required for json): the server's environment variable
//     holding the key each body is signed with (HMAC-SHA256, header
//     X-Stagehand-Signature-256).
//   - events (optional, non-empty list): opened, merged, refused, held,
//     released, rolled-back, verify-failed; every event when left out.
//
// The variables a receiver names must start with STAGEHAND_NOTIFY_ and may
// not be the server-wide receiver's own (STAGEHAND_NOTIFY_URL, _FORMAT,
// _SECRET, _EVENTS): whoever can change the file cannot have stagehand send
// or sign with the server's other secrets.
//
// String values must be strings: `semver: 1` is refused (quote it) rather
// than read as a number. YAML aliases, merge keys and a second document
// (---) are refused too.
package config
