package analysis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGraphCache(t *testing.T) {
	ctx := context.Background()
	weigh := func(v int) int { return v }
	tests := []struct {
		name string
		run  func(t *testing.T, c *graphCache[int])
	}{
		{"a hit does not compute again", func(t *testing.T, c *graphCache[int]) {
			calls := 0
			for range 3 {
				v, err := c.get(ctx, "v1", "k", func(context.Context) (int, error) { calls++; return 5, nil })
				if err != nil || v != 5 {
					t.Fatalf("get = %d, %v", v, err)
				}
			}
			if calls != 1 {
				t.Errorf("computed %d times, want 1", calls)
			}
		}},
		{"a new version computes again and drops the old", func(t *testing.T, c *graphCache[int]) {
			for i, version := range []string{"v1", "v2"} {
				v, _ := c.get(ctx, version, "k", func(context.Context) (int, error) { return i + 1, nil })
				if v != i+1 {
					t.Errorf("%s: got %d, want %d", version, v, i+1)
				}
			}
			if len(c.entries) != 1 {
				t.Errorf("%d entries, want only v2's", len(c.entries))
			}
		}},
		{"errors are not kept", func(t *testing.T, c *graphCache[int]) {
			boom := errors.New("boom")
			if _, err := c.get(ctx, "v1", "k", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			if v, err := c.get(ctx, "v1", "k", func(context.Context) (int, error) { return 7, nil }); err != nil || v != 7 {
				t.Errorf("after an error: %d, %v; want it computed again", v, err)
			}
		}},
		{"the least recently used goes past the weight limit", func(t *testing.T, c *graphCache[int]) {
			for _, k := range []string{"a", "b", "a", "c"} { // limit 10, each weighs 4
				_, _ = c.get(ctx, "v1", k, func(context.Context) (int, error) { return 4, nil })
			}
			if _, ok := c.entries["v1\x00b"]; ok || len(c.entries) != 2 || c.weight != 8 {
				t.Errorf("entries %v (weight %d), want a and c", keys(c), c.weight)
			}
		}},
		{"concurrent identical computations run once", func(t *testing.T, c *graphCache[int]) {
			var calls atomic.Int32
			release := make(chan struct{})
			var wg sync.WaitGroup
			got := make([]int, 8)
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i], _ = c.get(ctx, "v1", "k", func(context.Context) (int, error) {
						calls.Add(1)
						<-release
						return 3, nil
					})
				}()
			}
			time.Sleep(50 * time.Millisecond)
			close(release)
			wg.Wait()
			if calls.Load() != 1 {
				t.Errorf("computed %d times, want 1", calls.Load())
			}
			for i, v := range got {
				if v != 3 {
					t.Errorf("caller %d got %d", i, v)
				}
			}
		}},
		{"a waiter outlives a cancelled leader", func(t *testing.T, c *graphCache[int]) {
			leaderCtx, cancel := context.WithCancel(ctx)
			started := make(chan struct{})
			done := make(chan error)
			go func() {
				_, err := c.get(leaderCtx, "v1", "k", func(ctx context.Context) (int, error) {
					close(started)
					<-ctx.Done()
					return 0, ctx.Err()
				})
				done <- err
			}()
			<-started
			waiter := make(chan int)
			go func() {
				v, _ := c.get(ctx, "v1", "k", func(context.Context) (int, error) { return 9, nil })
				waiter <- v
			}()
			time.Sleep(20 * time.Millisecond)
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("leader: %v", err)
			}
			if v := <-waiter; v != 9 {
				t.Errorf("waiter got %d, want its own computation (9)", v)
			}
		}},
		{"fill computes what is missing together, once", func(t *testing.T, c *graphCache[int]) {
			_, _ = c.get(ctx, "v1", "a", func(context.Context) (int, error) { return 1, nil })
			var asked [][]string
			c.fill(ctx, "v1", []string{"a", "b", "c", "b"}, func(_ context.Context, keys []string) (map[string]int, error) {
				asked = append(asked, keys)
				return map[string]int{"b": 2, "c": 3}, nil
			})
			if len(asked) != 1 || len(asked[0]) != 2 || asked[0][0] != "b" || asked[0][1] != "c" {
				t.Fatalf("computed %v, want [[b c]] once", asked)
			}
			for k, want := range map[string]int{"a": 1, "b": 2, "c": 3} {
				if v, _ := c.get(ctx, "v1", k, func(context.Context) (int, error) { return -1, nil }); v != want {
					t.Errorf("%s = %d after fill, want %d", k, v, want)
				}
			}
		}},
		{"a key a failed fill left out is computed on its own", func(t *testing.T, c *graphCache[int]) {
			boom := errors.New("boom")
			c.fill(ctx, "v1", []string{"a", "b"}, func(context.Context, []string) (map[string]int, error) { return nil, boom })
			c.fill(ctx, "v1", []string{"c"}, func(context.Context, []string) (map[string]int, error) { return map[string]int{}, nil })
			for _, k := range []string{"a", "c"} {
				if v, err := c.get(ctx, "v1", k, func(context.Context) (int, error) { return 4, nil }); err != nil || v != 4 {
					t.Errorf("%s: %d, %v; want its own computation", k, v, err)
				}
			}
		}},
		{"a waiter on a failed fill computes on its own", func(t *testing.T, c *graphCache[int]) {
			release, started := make(chan struct{}), make(chan struct{})
			go c.fill(ctx, "v1", []string{"k"}, func(context.Context, []string) (map[string]int, error) {
				close(started)
				<-release
				return nil, errors.New("another key's error")
			})
			<-started
			waiter := make(chan int)
			go func() {
				v, _ := c.get(ctx, "v1", "k", func(context.Context) (int, error) { return 5, nil })
				waiter <- v
			}()
			time.Sleep(20 * time.Millisecond)
			close(release)
			if v := <-waiter; v != 5 {
				t.Errorf("waiter got %d, want its own computation (5)", v)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newGraphCache(10, weigh)) })
	}
}

func keys(c *graphCache[int]) []string {
	var out []string
	for k := range c.entries {
		out = append(out, k)
	}
	return out
}
