//go:build race

package reduce

// raceEnabled: the race detector makes sync.Pool drop items at random.
const raceEnabled = true
