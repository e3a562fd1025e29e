// Our engine distribution's constants. Upstream keeps this package as an untagged
// nested module that the Go module proxy does not serve, so the wrapper module
// replaces it with this one, whose values describe the Debian-based engine image
// that offline/engine.sh assembles.
module github.com/dagger/dagger/engine/distconsts

go 1.26.1
