// Package idtui stands in for Dagger's terminal UI package inside the engine binary.
//
// The engine imports dagql/idtui only to print a banner when `dagger terminal` attaches and
// for a few symbols used when scrubbing LLM replays. The real package needs modules the Go
// module proxy does not serve here, so offline/engine.sh swaps this file in for it when
// building the engine (not the CLI: we build no TUI at all). Behaviour differs only in how
// the terminal banner renders a call.
package idtui

import (
	"fmt"
	"io"

	"github.com/muesli/termenv"

	"github.com/dagger/dagger/dagql/call"
)

const (
	DotFilled   = "●"
	IconSuccess = "✔"
	IconFailure = "✘"
	IconCached  = "$"
)

// SkipLoggedOutTraceMsgEnvs lists the variables that silence the cloud nag message.
var SkipLoggedOutTraceMsgEnvs = []string{"DAGGER_NO_NAG", "NOTHANKS", "SHUTUP", "GOAWAY", "STOPIT"}

func NewOutput(w io.Writer, opts ...termenv.OutputOption) *termenv.Output {
	return termenv.NewOutput(w, opts...)
}

// Dump prints a call chain, one call per line.
type Dump struct {
	Newline string
	Prefix  string
}

func (d *Dump) DumpID(out *termenv.Output, id *call.ID) error {
	if id.Receiver() != nil {
		if err := d.DumpID(out, id.Receiver()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprint(out, d.Prefix, id.Field(), d.Newline)
	return err
}
