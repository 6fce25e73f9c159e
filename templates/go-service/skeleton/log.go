package main

import (
	"encoding/json"
	"os"
)

// One JSON line per event on stdout, as the cluster's log collection expects.
func logLine(level, message string) {
	line, _ := json.Marshal(map[string]string{"level": level, "message": message})
	os.Stdout.Write(append(line, '\n'))
}

func logInfo(message string) { logLine("info", message) }

func logError(err error) { logLine("error", err.Error()) }
