package store

import "context"

type actorKey struct{}

// WithActor records who is acting; the store writes it into every Change made
// with this context ("admin:<token name>", "scim:<token name>", "cli:<os user>",
// "user:<userName>", "system").
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor of ctx, or "system".
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}
