/**
 * Parameters of a parsed token request body: a null-prototype record. A form parameter sent more
 * than once holds an array of its values; a JSON body holds whatever JSON values it carried.
 */
export type RequestParams = Record<string, unknown>;
