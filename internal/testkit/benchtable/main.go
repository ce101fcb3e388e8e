// Command benchtable turns `go test -bench` output into the table of
// figures stagehand is judged by (make bench): each row's minimum, median
// and maximum over the runs (-count), next to what is wanted.
//
// It copies its input to its output as it reads, so a long run shows its
// progress, and prints the table at the end. Rows whose benchmark did not
// run (PostgreSQL unreachable, a -bench filter) say so.
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	runs := results{}
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	pkg := ""
	for lines.Scan() {
		line := lines.Text()
		fmt.Println(line)
		pkg = runs.add(pkg, line)
	}
	if err := lines.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	fmt.Println()
	if failed := render(os.Stdout, runs, rows); failed > 0 {
		fmt.Printf("\n%d figures miss what is wanted.\n", failed)
	}
}
