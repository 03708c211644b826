package schema

import "reflect"

// JSONType names the JSON a Go value decodes from, as a client would say it ("an integer", "a string"): error
// messages name fields and JSON types, never Go types.
func JSONType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return JSONType(t.Elem())
	default:
		return "a value"
	}
}

// JSONTypeNamed is JSONType for a Go type known only by name, as in encoding/json's error text ("int64",
// "[]string", "map[string]int64").
func JSONTypeNamed(goType string) string {
	switch {
	case goType == "":
		return "a value"
	case goType[0] == '*':
		return JSONTypeNamed(goType[1:])
	case goType[0] == '[':
		return "an array"
	case len(goType) >= 4 && goType[:4] == "map[":
		return "an object"
	}
	switch goType {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "time.Time":
		return "a date-time string"
	}
	return "an object" // a named struct
}
