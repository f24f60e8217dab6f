package pages

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The regular expressions the scanners in scan.go replace: the scanners
// must agree with them on every text.
var (
	refPlatforms = map[string]*regexp.Regexp{
		"Windows":                  regexp.MustCompile(`(?i)\bwindows\b|\bwin(?:10|11|32|64)\b|\bpowershell\b|[A-Z]:\\`),
		"WSL":                      regexp.MustCompile(`(?i)\bwsl2?\b`),
		"macOS":                    regexp.MustCompile(`(?i)\bmac ?os\b|\bos ?x\b|\bdarwin\b|\bhomebrew\b|\bbrew install\b`),
		"Linux":                    regexp.MustCompile(`(?i)\blinux\b|\bubuntu\b|\bdebian\b|\bfedora\b|\barch linux\b`),
		"Docker":                   regexp.MustCompile(`(?i)\bdocker\b|\bcontainer\b|\bpodman\b`),
		"Node.js":                  regexp.MustCompile(`(?i)\bnode(?:\.js|js)?\s+v?\d+|\bnpm\b|\bnpx\b`),
		"Python":                   regexp.MustCompile(`(?i)\bpython\s*3?\.\d+|\bpip install\b|\buvx?\b`),
		"a corporate proxy or VPN": regexp.MustCompile(`(?i)\bproxy\b|\bvpn\b|\bzscaler\b|\bfirewall\b`),
	}
	refHost    = regexp.MustCompile(`(?i)\bhttps?://(?:[^\s/@]+@)?([a-z0-9.\-]+|\[[0-9a-f:]+\])(?::(\d{2,5}))?`)
	refVersion = regexp.MustCompile(`(?i)\b(?:version|ver\.?|v)\s*:?\s*(\d+\.\d+(?:\.\d+)?(?:-[0-9a-z.]+)?)\b`)
	refLocal   = regexp.MustCompile(`(?i)(?:\blocalhost|\b127\.0\.0\.1|\b0\.0\.0\.0|\[::1\]|(?:^|[^:\w])::1):(\d{2,5})\b`)
)

var scanCases = []string{
	"", "windows", "Windows 11", "mywindows", "win10", "win100", "C:\\Users\\x", "c:\\", ":\\", "1:\\",
	"WSL2 here", "wsl3", "macOS 14", "mac os", "Mac OS X", "osx", "os x", "darwin-arm64", "homebrew", "brew install foo",
	"linux", "Arch Linux", "ubuntu22", "docker compose", "containers", "podman", "node 18", "Node.js v20.1", "nodejs\t18",
	"node v", "node\n\n 20", "node.js18", "nodes 18", "npm i", "npx foo", "python3.11", "python 3.12", "python.3", "python3",
	"python  .9", "Python 3", "pip install x", "uv run", "uvx", "uvw", "proxy", "VPN", "zscaler", "firewall", "noproxy",
	"see http://localhost:3000/x and https://api.example.com:8443/v1",
	"HTTPS://User:pw@Host.Name:80/", "http://user@/path", "http://[::1]:8080/", "http://[::1]x", "http://:80",
	"xhttp://a.com", "http://a.comhttp://b.com", "https://a.b:123456", "https://a.b:1", "http://a@b@c/",
	"http://\u00e9t\u00e9.com", "http://x.com:80http://y.com", "http:// a", "ftp://x.com", "https://https://x",
	"localhost:8080", "LOCALHOST:80", "127.0.0.1:5432", "10.0.0.0.0:80", "0.0.0.0:3000x", "[::1]:9000", " ::1:80",
	"a::1:80", "x:::1:80", "::1:80", "localhost:123456", "localhost:1", "mylocalhost:80", "localhost:80_", "localhost:80.5",
	"127.0.0.1:5432 and localhost:5432 and localhost:6379",
}

func TestPlatformsMatchReference(t *testing.T) {
	t.Parallel()
	for _, in := range scanCases {
		checkPlatforms(t, in)
	}
}

func TestVersionsMatchReference(t *testing.T) {
	t.Parallel()
	long := "v1.2.3-" + strings.Repeat("a", 2*versionWindow)
	for _, in := range append(scanCases, "v1.2", "V 1.2.3", "version: 2.0.0-rc.1 and ver. 3.1", "ver3.1", "vv1.2", "v1.2.3.4",
		"v1.2.3_", "v1.2.3-beta.", "v1.2-", "xv1.2", "v"+strings.Repeat(" ", 200)+"1.2", long, long+"_", "v1.2 v3.4v5.6",
		"version\n: \t 1.22.0-Alpha.1!", "v12.x", "v.1.2") {
		checkVersions(t, in)
	}
}

func TestHostsMatchReference(t *testing.T) {
	t.Parallel()
	for _, in := range scanCases {
		checkHosts(t, in)
	}
}

func FuzzScanners(f *testing.F) {
	for _, s := range scanCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// Case folding beyond strings.ToLower (see scan.go) is out of
		// scope: compare on ASCII text.
		for i := 0; i < len(in); i++ {
			if in[i] >= 0x80 {
				return
			}
		}
		checkPlatforms(t, in)
		checkHosts(t, in)
		checkVersions(t, in)
	})
}

func checkPlatforms(t *testing.T, in string) {
	t.Helper()
	l := strings.ToLower(in)
	for _, p := range platforms {
		re := refPlatforms[p.name]
		if re == nil {
			t.Fatalf("no reference for platform %s", p.name)
		}
		if got, want := p.named(l), re.MatchString(in); got != want {
			t.Errorf("%s named in %q = %v, want %v", p.name, in, got, want)
		}
	}
}

func checkHosts(t *testing.T, in string) {
	t.Helper()
	l := strings.ToLower(in)
	var want []string
	for _, m := range refHost.FindAllStringSubmatch(in, -1) {
		h := strings.ToLower(m[1])
		if m[2] != "" {
			h += ":" + m[2]
		}
		want = append(want, h)
	}
	if got := urlHosts(l); !slices.Equal(got, want) {
		t.Errorf("urlHosts(%q) = %q, want %q", in, got, want)
	}
	var wantPorts []string
	for _, m := range refLocal.FindAllStringSubmatch(in, -1) {
		wantPorts = append(wantPorts, m[1])
	}
	got := localPorts(l)
	slices.Sort(got)
	got = slices.Compact(got)
	slices.Sort(wantPorts)
	wantPorts = slices.Compact(wantPorts)
	if !slices.Equal(got, wantPorts) {
		t.Errorf("localPorts(%q) = %q, want %q", in, got, wantPorts)
	}
}

func checkVersions(t *testing.T, in string) {
	t.Helper()
	var want []string
	for _, m := range refVersion.FindAllStringSubmatch(in, -1) {
		want = append(want, m[1])
	}
	if got := versionsIn(in); !slices.Equal(got, want) {
		t.Errorf("versionsIn(%q) = %q, want %q", in, got, want)
	}
}
