// The system's OpenSSL libcrypto (libpq links it already): digests and MACs.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
