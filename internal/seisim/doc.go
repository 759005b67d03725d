// Package seisim simulates a fleet of SEI installations (SEI + SIP + Infra, optional modules)
// from one process, reproducing the HTTP surfaces vigia probes exactly as real SEI serves them:
// paths, field names, markup, redirects, cookies, status codes and ISO-8859-1 bodies. It is a
// product feature (operators try vigia against it) and the fixture vigia's parsers are tested
// against, so it must never serve markup real SEI would not.
//
// It owns: the fleet description (Fleet, LoadFleet, Generate), the HTTP handler that serves every
// instance (Server.Handler, routed by path prefix "/<name>/..." or by Host "<name>.<domain>"),
// per-instance state (sessions, login failures) and run-time fault injection (SetFaults,
// SetSEIVersion). cmd/seisim wraps it in listeners (shared, per-instance ports, TLS).
//
// Surfaces, per instance (paths relative to the instance base):
//
//	GET  /sei/                                  302 to SIP login, infra_url=base64(URI)
//	GET  /sip/login.php?sigla_orgao_sistema=ORG&sigla_sistema=SEI[&infra_url=...]
//	POST /sip/login.php                         hdnAcao=2 (SIP 3) or sbmLogin (SIP 2) → 302 inicializar.php
//	GET  /sei/inicializar.php?infra_sip=true&id_sistema&id_usuario&id_login[&infra_url]
//	                                            new PHPSESSID, 302 to the signed first page
//	GET|POST /sei/controlador.php?acao=...&infra_sistema&infra_unidade_atual&infra_hash
//	     procedimento_controlar, protocolo_pesquisa_rapida, procedimento_trabalhar, sair,
//	     modulo_listar (administrators), menu and module actions
//	GET  /sei/controlador_ws.php?servico=sei|sip|assinador|federacao|<module service>
//	POST /sei/ws/SeiWS.php                      listarUnidades, listarSeries; faults otherwise
//	     /sei/modulos/wssei/controlador_ws.php/api/v2/{versao,autenticar,orgao/listar} (v1 for wssei < 1.0)
//	GET  /sei/controlador_externo.php?acao=usuario_externo_logar|documento_conferir
//	GET  /sei/publicacoes/controlador_publicacoes.php?acao=publicacao_pesquisar
//
// Behaviour taken from the Infra/SIP/SEI sources (see /work/shared/SEI.md):
//   - infra_hash = hex(SHA-256(params . secret)) where params is the url-decoded query without
//     "&infra_hash=...", and secret is random per logged-in session (Infra's hashInterno).
//   - A missing or wrong infra_hash does what InfraSessao::validarLink does: the session is
//     destroyed and the browser is sent (302) to the SIP login page with msg=Link sem assinatura.
//     or msg=Hash inválido. [...] (shown there in txaInfraMsg). Real SEI does not answer 200.
//   - Sessions are bound to SHA-512('#'.User-Agent.'#'); another agent is sent to the login page.
//   - Login failures are counted per PHP session; after Faults.CaptchaAfter (default 3) the page
//     shows the captcha and refuses logins without the right code. The field is txtCaptcha on
//     SIP 2.x, txtCaptchaConfirmacao on SIP 3.0.x and txtInfraCaptcha on SIP ≥ 3.1 (as the real
//     4.1.5 login page's CSS shows); the refusal text is "Desafio não foi resolvido." on SIP ≥ 3.1
//     and "Código de confirmação inválido." before.
//   - SIP 3.0.x pages carry a CSRF input hdnToken<md5("SEI/<ORG>")> whose value is checked; a post
//     without it gets SIP's "Link inválido.". SIP 3.1+ pages (real 4.1.5 fixture) have none.
//   - Producao=false appends "-<random>" to the Infra asset version on every page.
//   - External pages use md5("<SEI>-<Infra>") as asset suffix from SEI 4.0 on.
//   - mod-wssei answers JSON as PHP's json_encode writes it (\uXXXX escapes, "\/").
//
// Choices where the sources say nothing (documented so probes do not over-fit):
//   - Maintenance (Faults.Maintenance): every /sei/ path answers 200 with an Infra page titled
//     "SEI - Sistema em Manutenção" containing "Sistema em Manutenção"; SIP keeps working.
//   - Status500: every path answers 500 with PHP's fatal error text.
//   - Down: the connection is closed without a response. Hang: nothing is written until the client
//     gives up (the request context ends).
//   - SEI 3.x logged-in pages use the 3.x <head> and asset list with the 4.x body markup.
//   - SIP versions of the 4.1 and 5.0 lines, module institutions and module menu entries other than
//     their acao= prefixes are plausible values; no page shows them as a version fingerprint.
//   - Options.WSSEIAuthDelay zero means no delay; cmd/seisim defaults it to 3 s like real SEI.
//
// Performance: templates are parsed once per Server into Latin-1 chunks and shared by every
// instance; a render is a series of copies into a pooled buffer. Per-instance state is the
// configuration and sessions that carry state (failed logins, logged-in sessions), bounded to 32
// per instance, so 10,000 idle instances take a few MB.
package seisim
