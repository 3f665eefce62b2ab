#include "phone_numbers.h"

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static const PhoneNumberUtil *util() {
    // Initialized once, thread-safely (C++11 magic statics); quiet: no logging to stdout.
    static const PhoneNumberUtil *instance = [] {
        PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        u->SetLogger(new i18n::phonenumbers::NullLogger());
        return u;
    }();
    return instance;
}

extern "C" phone_result phone_normalize_e164(const char *input, char *e164, size_t e164_capacity) {
    const PhoneNumberUtil *u = util();
    PhoneNumber number;
    // "ZZ": unknown region, so only numbers with a country code (leading '+') parse.
    switch (u->Parse(std::string(input), "ZZ", &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR: break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return PHONE_INVALID_COUNTRY_CODE;
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG_NSN: return PHONE_TOO_LONG;
    default: return PHONE_NOT_A_NUMBER;
    }
    if (number.has_extension() && !number.extension().empty()) return PHONE_HAS_EXTENSION;
    switch (u->IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::IS_POSSIBLE:
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY: break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return PHONE_INVALID_COUNTRY_CODE;
    case PhoneNumberUtil::TOO_SHORT: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG: return PHONE_TOO_LONG;
    default: return PHONE_INVALID_LENGTH;
    }
    if (!u->IsValidNumber(number)) return PHONE_NOT_VALID;
    std::string formatted;
    u->Format(number, PhoneNumberUtil::E164, &formatted);
    if (formatted.size() + 1 > e164_capacity) return PHONE_TOO_LONG;
    std::memcpy(e164, formatted.c_str(), formatted.size() + 1);
    return PHONE_OK;
}
