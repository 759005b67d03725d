package seisim

import (
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// Fleet is the set of virtual SEI instances one seisim process serves.
type Fleet struct {
	Instances []Instance `yaml:"instances"`
	Seed      int64      `yaml:"seed,omitempty"`
}

// Instance describes one virtual SEI installation.
type Instance struct {
	Name         string   `yaml:"name"`          // URL-safe, e.g. "orgao-0001"
	Org          string   `yaml:"org"`           // sigla_orgao, e.g. "ABC"
	SEIVersion   string   `yaml:"sei_version"`   // "4.1.5", "5.0.3", "4.0.12.15"
	SIPVersion   string   `yaml:"sip_version"`   // "3.1.5"
	InfraVersion string   `yaml:"infra_version"` // "2.29.0"
	Producao     bool     `yaml:"producao"`      // false => infra asset suffix gets "-<mt_rand>"
	Modules      []Module `yaml:"modules"`
	Users        []User   `yaml:"users"` // default: monitor / monitor123 / orgao 0
	Faults       Faults   `yaml:"faults"`
	Latency      Latency  `yaml:"latency"`
	Protocols    []string `yaml:"protocols"` // process numbers the quick search finds
}

// Module is one installed SEI module. Name is the module key as SEI's community names it:
// "mod-sei-pen", "mod-wssei", "peticionamento", "mod-sei-estatisticas", ...
type Module struct {
	Name     string `yaml:"name"`
	Version  string `yaml:"version"`
	Broken   bool   `yaml:"broken"`
	Inactive bool   `yaml:"inactive"`
}

// User is an SIP account of an instance.
type User struct {
	Login    string `yaml:"login"`
	Password string `yaml:"password"`
	Orgao    string `yaml:"orgao"`
	Admin    bool   `yaml:"admin"`
}

// Faults are the failures an instance simulates.
type Faults struct {
	Down         bool          `yaml:"down"`
	Status500    bool          `yaml:"status_500"`
	Maintenance  bool          `yaml:"maintenance"`
	Hang         bool          `yaml:"hang"`          // accept, never answer until the client gives up
	Slow         time.Duration `yaml:"slow"`          // added to every response
	CaptchaAfter int           `yaml:"captcha_after"` // failures per session before the captcha; 0 = 3
	WrongVersion string        `yaml:"wrong_version"` // pages show this SEI version, the API the real one
	TLSExpiresIn time.Duration `yaml:"tls_expires_in"`
}

// Latency is a random delay added to every response: Mean ± Jitter (uniform).
type Latency struct {
	Mean   time.Duration `yaml:"mean"`
	Jitter time.Duration `yaml:"jitter"`
}

// LoadFleet reads a fleet from a YAML file. Unknown keys are an error so a typo in a fault name
// does not silently yield a healthy instance.
func LoadFleet(path string) (Fleet, error) {
	f, err := os.Open(path)
	if err != nil {
		return Fleet{}, fmt.Errorf("seisim: open fleet file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var fl Fleet
	if err := dec.Decode(&fl); err != nil {
		return Fleet{}, fmt.Errorf("seisim: decode fleet file %s: %w", path, err)
	}
	if err := fl.Validate(); err != nil {
		return Fleet{}, fmt.Errorf("seisim: fleet file %s: %w", path, err)
	}
	return fl, nil
}
