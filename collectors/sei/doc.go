// Package sei owns how vigia talks to one SEI instance and reads what it answers: the per-run HTTP
// session (cookie jar, constant User-Agent, redirect chain that keeps cookies from SIP to SEI,
// per-phase timing, capped and charset-decoded bodies), the parsers for the pages and APIs real SEI
// serves (versions in titles and asset suffixes, the SIP login form with every hidden input, signed
// links, the module list, mod-wssei JSON, WSDL answers, the maintenance page, external-page hashes),
// the SIP login flow shared by the probers, and two data tables shipped embedded: the known
// SEI/Infra/SIP release pairs (versions.yaml) and the module catalogue with its compatibility matrix
// (modules.yaml).
//
// Parsers work on the DOM (goquery and cascadia, for forms, links, tables and scenario selectors) or
// on a tokenizer (ScanVersions, run by every health probe; the login scan, run by every login), never
// on regular expressions over a whole page: a real page carries the same strings in scripts and
// comments, and only the markup says which occurrence is the one SEI rendered for the user. The
// tokenizer (lex.go) follows x/net/html's states without copying (x/net/html allocates for every
// attribute of every tag); a fuzz test holds it token for token to x/net/html's. The DOM is built
// from that tokenizer too (tree.go), with the tree construction rules SEI's markup needs; a test
// holds what the probers read from it to what they read from html.Parse's tree.
//
// Sessions speak HTTP/1.1 over their own connection and read responses with net/http's parser
// (client.go): net/http's Transport costs more CPU than the rest of a health probe.
package sei
