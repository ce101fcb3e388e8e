package manifest

import "testing"

func TestMerge3(t *testing.T) {
	for _, tc := range []struct {
		name               string
		base, theirs, orig string
		want               string
		ok                 bool
	}{
		{
			name:   "change on a line kyaml renders as written",
			base:   "a: 1\nb: 2\n",
			theirs: "a: 1\nb: 3\n",
			orig:   "a: 1\n\nb: 2\n",
			want:   "a: 1\n\nb: 3\n",
			ok:     true,
		},
		{
			name:   "change next to spacing kyaml would drop",
			base:   "b: 2 # two\n",
			theirs: "b: 3 # two\n",
			orig:   "b:   2    # two\n",
			want:   "b:   3    # two\n",
			ok:     true,
		},
		{
			name:   "added line goes right after its neighbour, before blank lines",
			base:   "a:\n  b: 1\nc: 2\n",
			theirs: "a:\n  b: 1\n  d: 4\nc: 2\n",
			orig:   "a:\n  b: 1\n\n\nc: 2\n",
			want:   "a:\n  b: 1\n  d: 4\n\n\nc: 2\n",
			ok:     true,
		},
		{
			name:   "changed and added lines with a blank line kept between",
			base:   "x: 1\ny: 2\n",
			theirs: "x: 5\ny: 6\nz: 7\n",
			orig:   "x: 1\n\ny: 2\n",
			want:   "x: 5\n\ny: 6\nz: 7\n",
			ok:     true,
		},
		{
			name:   "both sides change the same token",
			base:   "a: 1\n",
			theirs: "a: 2\n",
			orig:   "a: 3\n",
			ok:     false,
		},
		{
			name:   "the person's blank line sits inside the change",
			base:   "a: [1, 2]\n",
			theirs: "a: [1, 3]\n",
			orig:   "a: [1,\n\n  2]\n",
			ok:     false,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := merge3(tc.base, tc.theirs, tc.orig)
			if ok != tc.ok || got != tc.want {
				t.Errorf("merge3 = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
