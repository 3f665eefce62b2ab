#ifndef CPHONENUMBERS_H
#define CPHONENUMBERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What libphonenumber made of a number.
typedef enum {
    PHONE_OK = 0,
    PHONE_NOT_A_NUMBER = 1,
    PHONE_INVALID_COUNTRY_CODE = 2,
    PHONE_TOO_SHORT = 3,
    PHONE_TOO_LONG = 4,
    PHONE_INVALID_LENGTH = 5,
    PHONE_NOT_VALID = 6,
    PHONE_HAS_EXTENSION = 7,
} phone_result;

/// Parses `input` (international form, leading '+') with Google's libphonenumber and, when it is
/// a valid number for its country, writes its E.164 form (NUL-terminated) into `e164`.
/// Thread-safe: libphonenumber's PhoneNumberUtil is immutable after its first use.
phone_result phone_normalize_e164(const char *input, char *e164, size_t e164_capacity);

#ifdef __cplusplus
}
#endif

#endif
