//go:build vigiadebug

package sei

// poisonBodies: see bodies.go.
const poisonBodies = true
