// Command dagger-session is the part of the Dagger CLI that SDKs use: `dagger session`.
//
// The full CLI cannot be built from the Go module proxy here (its terminal UI depends on
// modules the proxy does not serve), so this program implements the same contract over
// Dagger's own engine client: connect to the engine named by _EXPERIMENTAL_DAGGER_RUNNER_HOST,
// serve the session's GraphQL API on a random loopback port, print {"port", "session_token"}
// on stdout, and exit when stdin closes or on SIGINT/SIGTERM. The Python SDK runs it through
// _EXPERIMENTAL_DAGGER_CLI_BIN.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/dagger/dagger/engine"
	"github.com/dagger/dagger/engine/client"
)

type connectParams struct {
	Port         int    `json:"port"`
	SessionToken string `json:"session_token"`
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "version" || os.Args[1] == "--version") {
		fmt.Printf("dagger-session %s (engine client)\n", engine.Version)
		return
	}
	if len(os.Args) < 2 || os.Args[1] != "session" {
		fmt.Fprintln(os.Stderr, "usage: dagger-session session [--label k:v]... [--version v]")
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "dagger-session:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	flags := flag.NewFlagSet("session", flag.ContinueOnError)
	version := flags.String("version", "", "client version")
	flags.Func("label", "session label (accepted for compatibility)", func(string) error { return nil })
	flags.Bool("silent", false, "accepted for compatibility")
	if err := flags.Parse(args); err != nil {
		return err
	}
	runner := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	if runner == "" {
		return errors.New("_EXPERIMENTAL_DAGGER_RUNNER_HOST is not set (e.g. docker-container://dagger-engine)")
	}

	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) // parent may close our stdout
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	token := uuid.NewString()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); listener.Close() }()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); listener.Close() }()

	sess, err := client.Connect(ctx, client.Params{SecretToken: token, Version: *version, RunnerHost: runner})
	if err != nil {
		return fmt.Errorf("connect to engine at %s: %w", runner, err)
	}
	defer sess.Close()

	out, err := json.Marshal(connectParams{Port: listener.Addr().(*net.TCPAddr).Port, SessionToken: token})
	if err != nil {
		return err
	}
	if _, err := os.Stdout.Write(append(out, '\n')); err != nil {
		return err
	}
	srv := http.Server{Handler: sess, ReadHeaderTimeout: 30 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	if err := srv.Serve(listener); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
