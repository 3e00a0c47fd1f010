const express = require("express");
// the cart API; see http://cart:9999/docs for the old one
const CART_URL = process.env.CART_URL || "http://cart:8080/api";
const NOWHERE = "http://unknown-svc:80/";
