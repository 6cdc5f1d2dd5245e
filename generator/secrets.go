package generator

import "strings"

// KnownSecretEnv is launcher2's list of env keys that are secret "or
// otherwise not public info" (discourse/launcher v2/utils/consts.go,
// KnownSecrets): launcher2 keeps them out of image build args and baked ENV.
// A config's `secrets:` adds to it.
var KnownSecretEnv = []string{
	"DISCOURSE_DB_HOST",
	"DISCOURSE_DB_PORT",
	"DISCOURSE_DB_SOCKET",
	"DISCOURSE_DB_REPLICA_HOST",
	"DISCOURSE_DB_REPLICA_PORT",
	"DISCOURSE_DB_PASSWORD",
	"DISCOURSE_REDIS_HOST",
	"DISCOURSE_REDIS_REPLICA_HOST",
	"DISCOURSE_REDIS_PASSWORD",
	"DISCOURSE_SMTP_ADDRESS",
	"DISCOURSE_SMTP_USER_NAME",
	"DISCOURSE_SMTP_PASSWORD",
	"DISCOURSE_DEVELOPER_EMAILS",
	"DISCOURSE_SECRET_KEY_BASE",
	"DISCOURSE_HOSTNAME",
	"DISCOURSE_SAML_CERT",
	"DISCOURSE_SAML_TITLE",
	"DISCOURSE_SAML_TARGET_URL",
	"DISCOURSE_SAML_NAME_IDENTIFIER_FORMAT",
}

// secretWords mark env names that hold credentials in practice but are not in
// launcher2's list (DISCOURSE_MAXMIND_LICENSE_KEY, mail-receiver's
// DISCOURSE_API_KEY, ...). Marking too much secret only costs a build arg;
// marking too little leaks a credential, so quadlaunch errs this way.
var secretWords = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "LICENSE_KEY", "PRIVATE_KEY", "CREDENTIAL"}

var knownSecretSet = func() map[string]bool {
	m := make(map[string]bool, len(KnownSecretEnv))
	for _, k := range KnownSecretEnv {
		m[k] = true
	}
	return m
}()

// IsSecretEnv reports whether an env name is secret without any `secrets:`
// from the config: launcher2's known secrets plus names that say so.
func IsSecretEnv(name string) bool {
	if knownSecretSet[name] {
		return true
	}
	up := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}
