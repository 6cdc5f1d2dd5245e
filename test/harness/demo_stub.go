package main

func runDemo(env *runEnv) error { return nil }
