package githubfake

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// gitEnv is the whole environment of every git process: nothing of the
// user's configuration, locale or GIT_* variables leaks in, and automatic
// gc/maintenance never runs behind the fake's back.
func gitEnv(gitDir, home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"LC_ALL=C",
		"GIT_DIR=" + gitDir,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=gc.auto", "GIT_CONFIG_VALUE_0=0",
		"GIT_CONFIG_KEY_1=maintenance.auto", "GIT_CONFIG_VALUE_1=false",
		"GIT_CONFIG_KEY_2=core.logAllRefUpdates", "GIT_CONFIG_VALUE_2=false",
		// Fixed identities; commands that record one get theirs per call.
		"GIT_AUTHOR_NAME=githubfake", "GIT_AUTHOR_EMAIL=githubfake@localhost",
		"GIT_COMMITTER_NAME=githubfake", "GIT_COMMITTER_EMAIL=githubfake@localhost",
	}
}

// GitError is a git command that failed.
type GitError struct {
	Args   []string
	Code   int // exit code, -1 if it did not run to an exit
	Stderr string
	Err    error
}

func (e *GitError) Error() string {
	return fmt.Sprintf("git %s: %v: %s", strings.Join(e.Args, " "), e.Err, strings.TrimSpace(e.Stderr))
}

func (e *GitError) Unwrap() error { return e.Err }

// run runs one git command to completion. extraEnv adds to gitEnv.
func (g *gitRepo) run(ctx context.Context, stdin []byte, extraEnv []string, args ...string) ([]byte, error) {
	return g.runAt(ctx, g.home, stdin, extraEnv, args...)
}

// runAt is run in the working directory dir.
func (g *gitRepo) runAt(ctx context.Context, dir string, stdin []byte, extraEnv []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = append(append([]string{}, g.env...), extraEnv...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		return stdout.Bytes(), &GitError{Args: args, Code: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// batchProc is one long-running git process spoken to over stdin/stdout
// (cat-file --batch-command, mktree --batch, hash-object --stdin-paths), so
// that a request costs round trips, not process starts. It restarts itself
// after any failure. Callers serialise use (the server's mutex).
type batchProc struct {
	args []string
	env  []string
	dir  string

	cmd    *exec.Cmd
	stdin  *bufio.Writer
	pipe   io.WriteCloser
	stdout *bufio.Reader
	stderr *bytes.Buffer
}

func (p *batchProc) start() error {
	cmd := exec.Command("git", p.args...)
	cmd.Env, cmd.Dir = p.env, p.dir
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	p.stderr = &bytes.Buffer{}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return &GitError{Args: p.args, Code: -1, Err: err}
	}
	p.cmd, p.pipe = cmd, in
	p.stdin = bufio.NewWriter(in)
	p.stdout = bufio.NewReaderSize(out, 64<<10)
	return nil
}

// do writes one request and reads its answer. Any error leaves the process
// stopped; the next call starts a fresh one.
func (p *batchProc) do(ctx context.Context, write func(*bufio.Writer) error, read func(*bufio.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.cmd == nil {
		if err := p.start(); err != nil {
			return err
		}
	}
	err := write(p.stdin)
	if err == nil {
		err = p.stdin.Flush()
	}
	if err == nil {
		err = read(p.stdout)
	}
	if err != nil {
		stderr := p.stop()
		return &GitError{Args: p.args, Code: -1, Stderr: stderr, Err: err}
	}
	return nil
}

// stop ends the process and returns what it wrote to stderr.
func (p *batchProc) stop() string {
	if p.cmd == nil {
		return ""
	}
	_ = p.pipe.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
	return p.stderr.String()
}
