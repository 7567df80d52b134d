// Package fuzz holds the fuzzers of package analysis, apart from its tests:
// those start a playground in TestMain, which every fuzz worker would then
// start again. It has no code of its own.
package fuzz
