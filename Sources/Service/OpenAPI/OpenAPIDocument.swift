/// The OpenAPI 3.1 description of every route, served at `GET /api/v1/openapi.json`; tests keep it
/// true (every served route is in it, every documented status is reachable).
public enum OpenAPIDocument {
    public static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Contacts API",
  "version": "1.0.0",
  "description": "Multi-tenant contacts: upsert by phone, with name, email, tags and free JSON metadata, inside the caller's workspace."
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token (`ctk_…`)."
   }
  },
  "schemas": {
   "Tags": {
    "description": "A comma-separated string or an array of strings; each trimmed, empties and duplicates dropped, order kept. ≤ 64 characters each, ≤ 100 tags, no comma or control character.",
    "oneOf": [
     {
      "type": "string"
     },
     {
      "type": "array",
      "items": {
       "type": "string",
       "maxLength": 64
      },
      "maxItems": 100
     },
     {
      "type": "null"
     }
    ]
   },
   "CreateContact": {
    "type": "object",
    "required": [
     "phone"
    ],
    "properties": {
     "phone": {
      "type": "string",
      "description": "International format with a leading +; spaces, dots, dashes, parentheses and any decimal digits accepted; normalized to E.164; must be valid for its country (libphonenumber). No extension."
     },
     "name": {
      "type": [
       "string",
       "null"
      ],
      "maxLength": 255,
      "description": "Trimmed; empty is null."
     },
     "email": {
      "type": [
       "string",
       "null"
      ],
      "maxLength": 254,
      "description": "A WHATWG valid e-mail address; trimmed, empty is null, domain lower-cased."
     },
     "tags": {
      "$ref": "#/components/schemas/Tags"
     },
     "metadata": {
      "type": [
       "object",
       "null"
      ],
      "description": "Any JSON object, ≤ 65,536 bytes as sent, ≤ 32 levels; numbers keep their exact value. null is {}."
     }
    }
   },
   "UpdateContact": {
    "type": "object",
    "required": [
     "phone"
    ],
    "properties": {
     "phone": {
      "type": "string",
      "description": "Finds the contact (normalized like create-contact)."
     },
     "name": {
      "type": [
       "string",
       "null"
      ],
      "maxLength": 255
     },
     "email": {
      "type": [
       "string",
       "null"
      ]
     },
     "metadata": {
      "type": [
       "object",
       "null"
      ],
      "description": "An RFC 7396 merge patch; null clears to {}."
     },
     "tags": {
      "$ref": "#/components/schemas/Tags"
     },
     "add_tags": {
      "$ref": "#/components/schemas/Tags"
     },
     "remove_tags": {
      "$ref": "#/components/schemas/Tags"
     }
    }
   },
   "DeleteContact": {
    "type": "object",
    "properties": {
     "phone": {
      "type": "string"
     },
     "id": {
      "type": "string",
      "description": "A contact id (ULID)."
     }
    }
   },
   "CreateContacts": {
    "type": "object",
    "required": [
     "contacts"
    ],
    "properties": {
     "contacts": {
      "type": "array",
      "minItems": 1,
      "maxItems": 1000,
      "items": {
       "$ref": "#/components/schemas/CreateContact"
      }
     }
    }
   },
   "Contact": {
    "type": "object",
    "required": [
     "id",
     "phone",
     "name",
     "email",
     "tags",
     "metadata",
     "created_at",
     "updated_at"
    ],
    "properties": {
     "id": {
      "type": "string",
      "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$",
      "description": "A ULID, fixed at creation."
     },
     "phone": {
      "type": "string",
      "description": "E.164."
     },
     "name": {
      "type": [
       "string",
       "null"
      ]
     },
     "email": {
      "type": [
       "string",
       "null"
      ]
     },
     "tags": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "metadata": {
      "type": "object"
     },
     "created_at": {
      "type": "string",
      "format": "date-time",
      "description": "UTC, whole seconds, +00:00."
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "ContactWithCreated": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Contact"
     },
     {
      "type": "object",
      "required": [
       "created"
      ],
      "properties": {
       "created": {
        "type": "boolean",
        "description": "true when this call inserted the contact."
       }
      }
     }
    ]
   },
   "ContactList": {
    "type": "object",
    "required": [
     "data",
     "next_cursor"
    ],
    "properties": {
     "data": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Contact"
      }
     },
     "next_cursor": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "BatchResults": {
    "type": "object",
    "required": [
     "results"
    ],
    "properties": {
     "results": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "index",
        "status"
       ],
       "properties": {
        "index": {
         "type": "integer"
        },
        "status": {
         "type": "integer",
         "enum": [
          201,
          422
         ]
        },
        "contact": {
         "$ref": "#/components/schemas/ContactWithCreated"
        },
        "errors": {
         "$ref": "#/components/schemas/FieldErrors"
        }
       }
      }
     }
    }
   },
   "Deleted": {
    "type": "object",
    "required": [
     "deleted",
     "id"
    ],
    "properties": {
     "deleted": {
      "const": true
     },
     "id": {
      "type": "string"
     }
    }
   },
   "TagCounts": {
    "type": "object",
    "required": [
     "data"
    ],
    "properties": {
     "data": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name",
        "contacts"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "contacts": {
         "type": "integer"
        }
       }
      }
     }
    }
   },
   "Status": {
    "type": "object",
    "required": [
     "status"
    ],
    "properties": {
     "status": {
      "type": "string"
     }
    }
   },
   "FieldErrors": {
    "type": "object",
    "additionalProperties": {
     "type": "array",
     "items": {
      "type": "string"
     }
    },
    "description": "By top-level field; one message per problem."
   },
   "Error": {
    "type": "object",
    "required": [
     "message",
     "code"
    ],
    "properties": {
     "message": {
      "type": "string"
     },
     "code": {
      "type": "string"
     },
     "errors": {
      "$ref": "#/components/schemas/FieldErrors"
     }
    }
   }
  },
  "responses": {
   "BadRequest": {
    "description": "The body is not valid JSON or not a JSON object; or a cursor the server did not issue.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unauthenticated": {
    "description": "Missing, malformed, unknown or revoked token (with WWW-Authenticate: Bearer).",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "NotFound": {
    "description": "No such contact in the caller's workspace.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "TooLarge": {
    "description": "The body is over the limit (256 KiB; 4 MiB for create-contacts, unless configured).",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "UnsupportedMediaType": {
    "description": "Content-Type is not application/json.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unprocessable": {
    "description": "Validation failed (`errors` by field), or the account has no workspace (code `no_workspace`).",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unavailable": {
    "description": "The database is unreachable or busy past the wait bound; retry after Retry-After seconds. Nothing was half-written.",
    "headers": {
     "Retry-After": {
      "schema": {
       "type": "integer"
      }
     }
    },
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  }
 },
 "paths": {
  "/api/v1/actions/create-contact": {
   "post": {
    "operationId": "createContact",
    "summary": "Upsert a contact by phone in the caller's workspace",
    "description": "Creates the contact, or replaces name, email, tags and metadata of the one with the same phone (omitted fields are cleared). 201 either way; `created` tells which.",
    "security": [
     {
      "bearer": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateContact"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "The contact as written",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ContactWithCreated"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/UnsupportedMediaType"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/v1/actions/create-contact": {
   "post": {
    "operationId": "createContactShortPath",
    "summary": "Upsert a contact by phone in the caller's workspace",
    "description": "Creates the contact, or replaces name, email, tags and metadata of the one with the same phone (omitted fields are cleared). 201 either way; `created` tells which.",
    "security": [
     {
      "bearer": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateContact"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "The contact as written",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ContactWithCreated"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/UnsupportedMediaType"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/actions/update-contact": {
   "post": {
    "operationId": "updateContact",
    "summary": "Partial update by phone",
    "security": [
     {
      "bearer": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/UpdateContact"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The contact after the change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Contact"
        }
       }
      }
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/UnsupportedMediaType"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/actions/delete-contact": {
   "post": {
    "operationId": "deleteContact",
    "summary": "Delete by phone or id (with its tag links)",
    "security": [
     {
      "bearer": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/DeleteContact"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Deleted",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Deleted"
        }
       }
      }
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/UnsupportedMediaType"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/actions/create-contacts": {
   "post": {
    "operationId": "createContacts",
    "summary": "Upsert 1–1000 contacts; per-item results",
    "description": "Each item as create-contact would treat it: a valid one gets 201 and its contact, an invalid one 422 and its errors; the valid ones are written in one transaction. Results read as if the valid items ran one after another, in order: the same phone twice gives both items the same id, each its own fields, `created: true` only on the first if the phone was new; the stored contact ends as the last item says.",
    "security": [
     {
      "bearer": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CreateContacts"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "One result per item, in order",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BatchResults"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/UnsupportedMediaType"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/contacts/{id}": {
   "get": {
    "operationId": "getContact",
    "summary": "One contact",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The contact",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Contact"
        }
       }
      }
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/contacts": {
   "get": {
    "operationId": "listContacts",
    "summary": "Contacts in id order, exact filters, keyset pagination",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "phone",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "email",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "tag",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "updated_since",
      "in": "query",
      "schema": {
       "type": "string",
       "format": "date-time"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 200,
       "default": 50
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "A page",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ContactList"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/tags": {
   "get": {
    "operationId": "listTags",
    "summary": "The workspace's tags with contact counts",
    "security": [
     {
      "bearer": []
     }
    ],
    "responses": {
     "200": {
      "description": "Tags",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TagCounts"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "422": {
      "$ref": "#/components/responses/Unprocessable"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "operationId": "health",
    "summary": "The process is up",
    "responses": {
     "200": {
      "description": "Up",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "operationId": "ready",
    "summary": "The database is reachable",
    "responses": {
     "200": {
      "description": "Ready",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     }
    }
   }
  },
  "/api/v1/openapi.json": {
   "get": {
    "operationId": "openapi",
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {}
      }
     }
    }
   }
  }

 }
}
"""#
}
