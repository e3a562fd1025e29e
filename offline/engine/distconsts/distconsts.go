// Package distconsts describes where things live in our Debian-based engine image.
// The CLI and engine read these at build time; offline/engine.sh lays the image out to match.
package distconsts

const (
	// EngineContainerName is only used when the CLI provisions an engine itself; we start ours.
	EngineContainerName   = "dagger-engine.dev"
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
)

const (
	RuncPath       = "/usr/sbin/runc" // Debian's runc package
	DaggerInitPath = "/usr/local/bin/dagger-init"

	EngineDefaultStateDir = "/var/lib/dagger"

	// Module SDK runtimes are not shipped offline; these names only need to exist.
	EngineContainerBuiltinContentDir   = "/usr/local/share/dagger/content"
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
)

const (
	// Used by `dagger terminal` only; served by the local registry mirror when seeded.
	AlpineVersion = "3.22.1"
	AlpineImage   = "alpine:" + AlpineVersion

	GolangVersion = "1.25.3"
	GolangImage   = "golang:" + GolangVersion + "-alpine"

	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)

const OCIVersionAnnotation = "org.opencontainers.image.version"

// EngineCustomCACertsDir is where the engine picks up extra CAs at start (the host bundle).
const EngineCustomCACertsDir = "/usr/local/share/ca-certificates"
