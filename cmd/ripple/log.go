package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// LogFlags configure the one logger the process uses.
type LogFlags struct {
	LogLevel  string `name:"log-level" enum:"debug,info,warn,error" default:"info" env:"RIPPLE_LOG_LEVEL" help:"Minimum level logged (${enum})."`
	LogFormat string `name:"log-format" enum:"auto,json,console" default:"auto" env:"RIPPLE_LOG_FORMAT" help:"json, console, or auto: console on a terminal, json otherwise."`
}

// logger builds the process logger. It is passed down explicitly; nothing
// in Ripple uses zerolog's global logger.
func (f LogFlags) logger(w *os.File) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(f.LogLevel)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("--log-level: %w", err)
	}
	var out io.Writer = w
	if f.LogFormat == "console" || (f.LogFormat == "auto" && isTerminal(w)) {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
