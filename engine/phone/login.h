/*
 * engine/phone/login.h - a phone's HTTP exchanges: authentication and CONNECT.
 *
 * Called by the phone's state machine once TLS is up; the replies come in
 * through the phone's decrypted input buffer (p->ibuf).
 */
#ifndef ENGINE_LOGIN_H
#define ENGINE_LOGIN_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct phone;

/*
 * Start the login (state PH_AUTH): the phone's GET, or the desktop
 * client's first XML POST (phones.client).
 */
void login_start(struct worker *w, struct phone *p, uint64_t now);
/* Send CONNECT /CSCOSSLC/tunnel with the session cookie (state PH_CSTP). */
void login_connect(struct worker *w, struct phone *p);
/*
 * Input in PH_AUTH: the next step of the login (the POST, an XML form to
 * answer), the session cookie (then CONNECT), or a named failure.
 */
void login_auth_input(struct worker *w, struct phone *p, uint64_t now);
/* Input in PH_CSTP: "200 CONNECTED" brings the tunnel up; anything else is a refusal. */
void login_connect_input(struct worker *w, struct phone *p, uint64_t now);
/* A credential pattern: %m the MAC (12 upper-case hex digits), %i the index in the fleet, %% a %. */
void login_expand(char *out, size_t cap, const char *pattern, const struct phone *p);

#endif
