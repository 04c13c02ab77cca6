package resolvers

// The executor (generated/), the GraphQL-only models (model/models_gen.go)
// and the resolver stubs follow schema/*.graphqls and ../gqlgen.yml, which
// gqlgen finds by walking up from here.
//go:generate go tool gqlgen generate
