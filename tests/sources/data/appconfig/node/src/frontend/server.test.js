const MOCK = "http://currency:1/mock";
