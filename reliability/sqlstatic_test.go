package reliability_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sqlMethods maps a database method to the index of its SQL argument
// (pgx: Exec/Query/QueryRow(ctx, sql, args...), Prepare(ctx, name, sql),
// Batch.Queue(sql, args...)).
var sqlMethods = map[string]int{"Exec": 1, "Query": 1, "QueryRow": 1, "Prepare": 2, "Queue": 0}

// reviewedSQL are query sites that build SQL from values that are not
// compile-time constants, each checked by hand to be safe. Keys are
// "path:function"; keep the reason current.
var reviewedSQL = map[string]string{
	"store/storetest/storetest.go:URL":      "database name is errata_t_ + random hex, made in the function",
	"store/storetest/storetest.go:template": "template name is errata_tmpl_ + hex of a hash",
	"store/migrate.go:MigrateReport":        "m.SQL is a migration file embedded in the binary (sql/migrations)",
	"store/pages.go:pageCounts":             "sql is a string literal at each call site (PageEvidenceGet)",
}

// TestEveryQueryIsParameterized reads every non-test Go file of the module
// and checks that the SQL text handed to Exec, Query, QueryRow, Prepare
// and Batch.Queue is built only from string constants (literals, consts,
// package-level lists of literals, strings.Join of those, fmt.Sprintf with
// such operands or %d): values always travel as bind parameters, never in
// the SQL text.
func TestEveryQueryIsParameterized(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		pkgs[filepath.Dir(p)] = append(pkgs[filepath.Dir(p)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sites, unsafe := 0, []string{}
	for _, files := range pkgs {
		pkgScope := map[string][]ast.Expr{}
		for _, f := range files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							pkgScope[n.Name] = append(pkgScope[n.Name], vs.Values[i])
						} else if gd.Tok == token.CONST {
							pkgScope[n.Name] = append(pkgScope[n.Name], &ast.BasicLit{Kind: token.STRING, Value: `""`})
						}
					}
				}
			}
		}
		for _, f := range files {
			rel, _ := filepath.Rel(root, fset.Position(f.Pos()).Filename)
			n, bad := checkSQLFile(fset, filepath.ToSlash(rel), f, pkgScope)
			sites += n
			unsafe = append(unsafe, bad...)
		}
	}
	sort.Strings(unsafe)
	for _, u := range unsafe {
		t.Errorf("%s", u)
	}
	if sites < 20 {
		t.Fatalf("found only %d query sites: the checker is not seeing the code", sites)
	}
	t.Logf("%d query sites checked, %d built from non-constants", sites, len(unsafe))
	recordFigure("security.query_sites_checked", sites)
}

func isCtx(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return strings.Contains(strings.ToLower(x.Name), "ctx") || x.Name == "context"
	case *ast.CallExpr, *ast.SelectorExpr:
		s := fmt.Sprint(x)
		return strings.Contains(strings.ToLower(s), "ctx") || strings.Contains(s, "Context")
	}
	return false
}

func looksSQL(e ast.Expr, c *sqlChecker) bool {
	if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
		return true
	}
	_, ok := e.(*ast.BinaryExpr)
	return ok
}

// sqlChecker decides whether an expression is built from constants only.
type sqlChecker struct {
	pkg      map[string][]ast.Expr
	local    map[*ast.Object][]ast.Expr
	visiting map[*ast.Object]bool
}

// add records a value assigned to the variable id (resolved by the parser
// to its declaration, so shadowed names are told apart).
func (c *sqlChecker) add(id *ast.Ident, e ast.Expr) {
	if id.Obj == nil || id.Name == "_" {
		return
	}
	c.local[id.Obj] = append(c.local[id.Obj], e)
}

// collect records every assignment in a function body (including range
// variables, bound to their range expression).
func (c *sqlChecker) collect(body ast.Node) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.AssignStmt:
			for i, l := range s.Lhs {
				id, ok := l.(*ast.Ident)
				if !ok {
					continue
				}
				if len(s.Rhs) == len(s.Lhs) {
					c.add(id, s.Rhs[i])
				} else {
					c.add(id, &ast.BadExpr{})
				}
			}
		case *ast.RangeStmt:
			if id, ok := s.Value.(*ast.Ident); ok {
				c.add(id, &ast.IndexExpr{X: s.X})
			}
			if id, ok := s.Key.(*ast.Ident); ok {
				c.add(id, &ast.BasicLit{Kind: token.INT, Value: "0"})
			}
		case *ast.DeclStmt:
			if gd, ok := s.Decl.(*ast.GenDecl); ok {
				for _, spec := range gd.Specs {
					if vs, ok := spec.(*ast.ValueSpec); ok {
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								c.add(n, vs.Values[i])
							} else {
								c.add(n, &ast.BasicLit{Kind: token.STRING, Value: `""`})
							}
						}
					}
				}
			}
		case *ast.FuncLit:
			// Parameters of closures are unknown values.
			for _, f := range s.Type.Params.List {
				for _, n := range f.Names {
					c.add(n, &ast.BadExpr{})
				}
			}
		}
		return true
	})
}

func (c *sqlChecker) safe(e ast.Expr, depth int) bool {
	if depth > 30 {
		return false
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.ParenExpr:
		return c.safe(x.X, depth+1)
	case *ast.BinaryExpr:
		return c.safe(x.X, depth+1) && c.safe(x.Y, depth+1)
	case *ast.Ident:
		defs, ok := []ast.Expr(nil), false
		if x.Obj != nil {
			defs, ok = c.local[x.Obj]
			if !ok {
				if _, param := x.Obj.Decl.(*ast.Field); param {
					return false // a function parameter: any value
				}
			}
		}
		if !ok {
			defs, ok = c.pkg[x.Name]
		}
		if !ok {
			return x.Name == "true" || x.Name == "false" || x.Name == "nil"
		}
		// A variable is safe when every value assigned to it is, assuming
		// itself safe (x = append(x, "...")).
		key := x.Obj
		if key == nil {
			key = ast.NewObj(ast.Var, "pkg."+x.Name)
		}
		if c.visiting == nil {
			c.visiting = map[*ast.Object]bool{}
		}
		if c.visiting[key] {
			return true
		}
		c.visiting[key] = true
		defer delete(c.visiting, key)
		for _, d := range defs {
			if !c.safe(d, depth+1) {
				return false
			}
		}
		return true
	case *ast.CompositeLit:
		for _, el := range x.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			if !c.safe(el, depth+1) {
				return false
			}
		}
		return true
	case *ast.IndexExpr:
		return c.safe(x.X, depth+1)
	case *ast.SliceExpr:
		return c.safe(x.X, depth+1)
	case *ast.CallExpr:
		name := callName(x.Fun)
		switch name {
		case "strconv.Itoa", "strconv.FormatInt", "len", "make", "hex.EncodeToString":
			return true
		case "strings.Join", "strings.Repeat", "strings.TrimSpace", "strings.TrimSuffix", "strings.ReplaceAll", "append", "string":
			for _, a := range x.Args {
				if !c.safe(a, depth+1) {
					return false
				}
			}
			return true
		case "fmt.Sprintf":
			if len(x.Args) == 0 || !c.safe(x.Args[0], depth+1) {
				return false
			}
			verbs := []string{}
			if bl, ok := x.Args[0].(*ast.BasicLit); ok {
				f, _ := strconv.Unquote(bl.Value)
				for i := 0; i < len(f)-1; i++ {
					if f[i] == '%' {
						if f[i+1] == '%' {
							i++
							continue
						}
						verbs = append(verbs, string(f[i+1]))
					}
				}
			}
			for i, a := range x.Args[1:] {
				if i < len(verbs) && verbs[i] == "d" {
					continue
				}
				if !c.safe(a, depth+1) {
					return false
				}
			}
			return true
		}
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sanitize" {
			return true // pgx.Identifier{...}.Sanitize() quotes identifiers
		}
		return false
	}
	return false
}

func callName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			return id.Name + "." + f.Sel.Name
		}
	}
	return ""
}

// checkSQLFile checks the query sites of one file; see
// TestEveryQueryIsParameterized.
func checkSQLFile(fset *token.FileSet, rel string, f *ast.File, pkgScope map[string][]ast.Expr) (sites int, unsafe []string) {
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		c := &sqlChecker{pkg: pkgScope, local: map[*ast.Object][]ast.Expr{}}
		c.collect(fd.Body)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			idx, ok := sqlMethods[sel.Sel.Name]
			if !ok || idx >= len(call.Args) {
				return true
			}
			if sel.Sel.Name == "Queue" && !looksSQL(call.Args[0], c) {
				return true
			}
			if idx == 1 && !isCtx(call.Args[0]) {
				return true // not a (ctx, sql, ...) database call
			}
			sites++
			if c.safe(call.Args[idx], 0) {
				return true
			}
			if _, ok := reviewedSQL[rel+":"+fd.Name.Name]; ok {
				return true
			}
			unsafe = append(unsafe, fmt.Sprintf("%s:%d (%s): SQL built from a non-constant value", rel, fset.Position(call.Pos()).Line, fd.Name.Name))
			return true
		})
	}
	return sites, unsafe
}

// TestSQLCheckerCatchesConcatenation proves the checker above fails on the
// mistakes it exists for.
func TestSQLCheckerCatchesConcatenation(t *testing.T) {
	t.Parallel()
	src := `package p
const cols = "a, b"
var list = []string{"a", "b"}
func ok1(ctx context.Context, db DB, name string) { db.Exec(ctx, "SELECT "+cols+" FROM t WHERE n = $1", name) }
func ok2(ctx context.Context, db DB, n int) { q := fmt.Sprintf("SELECT %s FROM t LIMIT %d", strings.Join(list, ","), n); db.Query(ctx, q) }
func bad1(ctx context.Context, db DB, name string) { db.Exec(ctx, "SELECT * FROM t WHERE n = '"+name+"'") }
func bad2(ctx context.Context, db DB, name string) { q := fmt.Sprintf("DELETE FROM %s", name); db.Exec(ctx, q) }
func bad3(ctx context.Context, db DB, names []string) { for _, n := range names { db.QueryRow(ctx, "SELECT "+n) } }
func bad4(ctx context.Context, db DB, r *http.Request) { q := "SELECT 1"; q += r.URL.Query().Get("x"); db.Query(ctx, q) }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg := map[string][]ast.Expr{}
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok {
			for _, sp := range gd.Specs {
				if vs, ok := sp.(*ast.ValueSpec); ok {
					pkg[vs.Names[0].Name] = vs.Values
				}
			}
		}
	}
	sites, unsafe := checkSQLFile(fset, "p.go", f, pkg)
	if sites != 6 || len(unsafe) != 4 {
		t.Fatalf("%d sites, unsafe %v; want 6 sites and bad1..bad4", sites, unsafe)
	}
	for i, u := range unsafe {
		if !strings.Contains(u, fmt.Sprintf("(bad%d)", i+1)) {
			t.Errorf("unsafe[%d] = %s, want bad%d", i, u, i+1)
		}
	}
}
