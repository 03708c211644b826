package main

import (
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where the figures come from.
type Machine struct {
	NProc       int    `json:"nproc"`
	MemoryBytes int64  `json:"memoryBytes"`
	Kernel      string `json:"kernel"`
	CPUModel    string `json:"cpuModel"`
	GoVersion   string `json:"goVersion"` // of the bench
	LoadAvg     string `json:"loadAvg"`   // at the start: other work on the machine skews everything
	FileLimit   string `json:"fileLimit"`
	PortRange   string `json:"ephemeralPorts"`
}

// BinaryInfo identifies the scalechat binary measured.
type BinaryInfo struct {
	Path      string `json:"path"`
	Version   string `json:"version"`             // what `BIN version` prints
	GoVersion string `json:"goVersion,omitempty"` // it was built with
	Revision  string `json:"revision,omitempty"`  // vcs.revision stamped by go build, when it was
	WorkTree  string `json:"workTree"`            // git describe of the work tree at run time
}

func machineInfo() Machine {
	m := Machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					m.MemoryBytes = kb << 10
				}
			}
		}
	}
	osType, _ := os.ReadFile("/proc/sys/kernel/ostype")
	release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	m.Kernel = strings.TrimSpace(string(osType)) + " " + strings.TrimSpace(string(release))
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/self/limits"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "Max open files") {
				if f := strings.Fields(strings.TrimPrefix(l, "Max open files")); len(f) >= 2 {
					m.FileLimit = f[0] + " soft, " + f[1] + " hard"
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		m.PortRange = strings.Join(strings.Fields(string(b)), "-")
	}
	return m
}

func binaryInfo(ctx context.Context, root, bin string) BinaryInfo {
	bi := BinaryInfo{Path: bin, WorkTree: gitOutput(ctx, root, "describe", "--tags", "--always", "--dirty")}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(vctx, bin, "version").Output(); err == nil {
		bi.Version = strings.TrimSpace(string(out))
	}
	if info, err := buildinfo.ReadFile(bin); err == nil {
		bi.GoVersion = info.GoVersion
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				bi.Revision = s.Value
			}
		}
	}
	return bi
}
